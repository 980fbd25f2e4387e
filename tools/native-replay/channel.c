/*
 * channel.c - messages between the driver and its workers.
 *
 * Each worker has its own socketpair of type SOCK_SEQPACKET, so a message
 * arrives whole or not at all and no framing code is needed.  A message is
 * a small header (type, length, a host pid) and a payload; a descriptor
 * can ride along as SCM_RIGHTS, which is how a forked worker's channel
 * reaches the driver: the forking worker creates the pair, keeps one end
 * for the child, and hands the other end up.  The driver never needs to
 * know who forked whom.
 */
#include "native.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define CHAN_HEADER offsetof(struct chan_msg, payload)

int chan_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

int chan_send(int fd, uint32_t type, const void *payload, size_t len,
	      int32_t host_pid, int pass_fd)
{
	struct chan_msg hdr = { .type = type, .len = (uint32_t)len,
				.host_pid = host_pid, .fd = -1 };
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = CHAN_HEADER },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (len > CHAN_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (pass_fd >= 0) {
		memset(&ctl, 0, sizeof ctl);
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof ctl.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int chan_recv(int fd, struct chan_msg *m)
{
	struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	if ((size_t)n < CHAN_HEADER || (size_t)n != CHAN_HEADER + m->len ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		errno = EPROTO;
		return -1;
	}
	m->fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&m->fd, CMSG_DATA(c), sizeof(int));
	return 1;
}
