// SPDX-License-Identifier: GPL-2.0
/*
 * Description: /dev/kmsgq opens, KMSGQ_IOC_INFO reports the uapi constants
 * and versions its argument by size, unknown ioctls fail with ENOTTY.
 */
#include "kmsgq_test.h"

/* struct kmsgq_info as a later, larger ABI version might send it. */
struct info_v2 {
	struct kmsgq_info v1;
	__u64 tail;
};

FIXTURE(info) {
	int fd;
};

FIXTURE_SETUP(info)
{
	self->fd = open(KMSGQ_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KMSGQ_DEVICE_PATH,
				      strerror(errno));
}

FIXTURE_TEARDOWN(info)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(info, device_is_a_char_device)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(info, reports_the_uapi_constants)
{
	struct kmsgq_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, KMSGQ_IOC_INFO, &info));
	EXPECT_EQ(KMSGQ_ABI_VERSION, info.abi_version);
	EXPECT_EQ(KMSGQ_NAME_MAX, info.name_max);
	EXPECT_EQ(KMSGQ_PRIO_MAX, info.prio_max);
	EXPECT_EQ(KMSGQ_BATCH_MAX, info.batch_max);
	/* 32768 priorities and notification, as POSIX mqueue has. */
	EXPECT_EQ(32768, info.prio_max);
	EXPECT_TRUE(info.features & KMSGQ_FEAT_PRIO32K);
	EXPECT_TRUE(info.features & KMSGQ_FEAT_NOTIFY);
}

TEST_F(info, size_below_first_version_is_einval)
{
	static const __u32 sizes[] = { 0, 4, sizeof(struct kmsgq_info) - 1 };
	struct kmsgq_info info;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizes[i];
		EXPECT_EQ(-1, ioctl(self->fd, KMSGQ_IOC_INFO, &info))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(info, larger_size_with_nonzero_tail_is_e2big)
{
	struct info_v2 info = { .v1.size = sizeof(info), .tail = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, KMSGQ_IOC_INFO, &info));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(info, larger_size_with_zero_tail_works)
{
	struct info_v2 info = { .v1.size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, KMSGQ_IOC_INFO, &info));
	EXPECT_EQ(KMSGQ_ABI_VERSION, info.v1.abi_version);
	EXPECT_EQ(0, info.tail);
}

TEST_F(info, unknown_ioctl_is_enotty)
{
	struct kmsgq_info info = { .size = sizeof(info) };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(KMSGQ_IOC_MAGIC, 0xff,
					    struct kmsgq_info), &info));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(info, close_works)
{
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
}

TEST_HARNESS_MAIN
