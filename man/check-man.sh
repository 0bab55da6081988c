#!/bin/sh
# A man page source renders: groff -ww (every warning) says nothing, and
# man -l formats it without a word on stderr. check-man.sh PAGE
set -u
page=$1
out=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>&1) || { echo "groff failed: $out"; exit 1; }
[ -z "$out" ] || { echo "groff -ww $page:"; echo "$out"; exit 1; }
err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null) || { echo "man -l failed: $err"; exit 1; }
[ -z "$err" ] || { echo "man -l $page:"; echo "$err"; exit 1; }
echo "$page: renders with no warnings"
