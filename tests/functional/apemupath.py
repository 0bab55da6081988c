# Puts the repository's python/ (the apemu package, python3-apemu) first on
# sys.path, so that the tests - and guests they run in child processes -
# use the package of this tree, not an installed one.
import os
import sys

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python"))
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)
