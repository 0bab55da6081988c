/*
 * vfio_abi - the numbers of linux/vfio.h that the control socket's
 * "vfio-ioctl" carries: the device ioctls a VMM issues on a vfio_ap mdev,
 * their flags and the fixed sizes of their argument structures. One
 * definition for both ends: apemud (src/daemon/vfio.c) answers them,
 * libapemu-guest (src/guest/guest.c) asks.
 */
#ifndef APEMU_COMMON_VFIO_ABI_H
#define APEMU_COMMON_VFIO_ABI_H

/* The ioctl numbers: _IO(VFIO_TYPE ';', VFIO_BASE 100 + n). */
#define VFIO_DEVICE_GET_INFO	 0x3b6b
#define VFIO_DEVICE_GET_IRQ_INFO 0x3b6d
#define VFIO_DEVICE_SET_IRQS	 0x3b6e
#define VFIO_DEVICE_RESET	 0x3b6f

#define VFIO_DEVICE_FLAGS_RESET	    (1u << 0)
#define VFIO_DEVICE_FLAGS_AP	    (1u << 5)
#define VFIO_IRQ_INFO_EVENTFD	    (1u << 0)
#define VFIO_IRQ_SET_DATA_EVENTFD   (1u << 2)
#define VFIO_IRQ_SET_ACTION_TRIGGER (1u << 5)

/* argsz below these is refused: the fixed part of each structure. */
#define VFIO_DEVICE_INFO_MINSZ 16 /* argsz, flags, num_regions, num_irqs */
#define VFIO_IRQ_INFO_MINSZ    16 /* argsz, flags, index, count */
#define VFIO_IRQ_SET_MINSZ     20 /* argsz, flags, index, start, count */
/* SET_IRQS with one eventfd: the fixed part and one s32 fd */
#define VFIO_IRQ_SET_ONE_FD_SZ (VFIO_IRQ_SET_MINSZ + 4)

#endif
