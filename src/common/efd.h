/*
 * efd - signal an eventfd that a client gave apemud, never blocking.
 *
 * The kernel's eventfd_signal() never blocks: at a full counter the count
 * saturates and the reader still sees the descriptor readable. A write(2)
 * of 1 to an eventfd blocks while the counter is at its maximum unless the
 * descriptor is non-blocking, and the eventfds a client passes share their
 * open file description with the client, which may clear O_NONBLOCK again
 * at any moment. efd_signal() therefore never trusts the flag alone.
 */
#ifndef APEMU_EFD_H
#define APEMU_EFD_H

/*
 * Make a client's eventfd non-blocking (F_SETFL O_NONBLOCK). The flag lives
 * in the open file description, so the client sees it too; QEMU creates its
 * eventfds non-blocking anyway. Returns 0 or -errno.
 */
int efd_set_nonblocking(int fd);

/*
 * Add 1 to the counter of eventfd fd, as the kernel's eventfd_signal() does:
 * a full counter stays full (saturation counts as success, the reader still
 * has something to read). Never waits more than about a millisecond, even if
 * the client made the descriptor blocking behind apemud's back: the write
 * is then interrupted by a per-thread timer and the descriptor made
 * non-blocking again. fd < 0 is a no-op. Returns 0, 1 when the counter was
 * saturated, or -errno (EBADF, EINVAL: not an eventfd) for the caller to log.
 * Safe to call with any lock held, from any thread.
 */
int efd_signal(int fd);

#endif
