// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-xdpctl: the control command of vhost-xdpd. Sends one request to the
 * daemon's control socket (include/vhost_xdp/ctl_proto.h) and prints the
 * reply. Exit status: 0 done, 1 refused or no daemon, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vhost_xdp/ctl_proto.h>

#define SOCKET_DIR_DEF "/run/vhost-xdp"

static void usage(FILE *f)
{
	fputs("Usage: vhost-xdpctl [-s CTL_SOCKET | -i IFNAME] [-d SOCKET_DIR] COMMAND\n"
	      "\n"
	      "Commands:\n"
	      "  port add SPEC          add a port; SPEC as vhost-xdpd --port, with name=\n"
	      "  port del NAME          remove a port and everything it holds\n"
	      "  port list [--json]     the ports\n"
	      "  port show NAME [--json]\n"
	      "                         one port: its state and queues\n"
	      "  stats [--json|--prometheus]\n"
	      "                         counters: a table, JSON, or Prometheus text\n"
	      "  reload                 re-read the daemon's --config file (as SIGHUP)\n"
	      "\n"
	      "Options:\n"
	      "  -s, --socket PATH      the daemon's control socket\n"
	      "  -i, --nic IFNAME       the daemon serving IFNAME: SOCKET_DIR/IFNAME.ctl\n"
	      "  -d, --socket-dir DIR   default " SOCKET_DIR_DEF "; without -s or -i the only\n"
	      "                         *.ctl socket there is used\n"
	      "  -h, --help             this text\n",
	      f);
}

/* The only *.ctl in dir, or an error if there are none or several. */
static int find_ctl(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d) {
		fprintf(stderr, "vhost-xdpctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 4 && !strcmp(e->d_name + l - 4, ".ctl")) {
			if (n++ == 0)
				snprintf(path, len, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	if (n == 1)
		return 0;
	fprintf(stderr, "vhost-xdpctl: %s control sockets in %s; pick one with -i or -s\n",
		n ? "several" : "no", dir);
	return -1;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vhost-xdpctl: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "vhost-xdpctl: %s: %s (is vhost-xdpd running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The request line from the command words; --json etc. become the format word. */
static int build_request(int argc, char **argv, char *req, size_t len)
{
	size_t n = 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "--json"))
			w = "json";
		else if (!strcmp(w, "--prometheus"))
			w = "prometheus";
		else if (!strcmp(w, "--text"))
			w = "text";
		if (strchr(w, ' ') || strchr(w, '\n') || !*w) {
			fprintf(stderr, "vhost-xdpctl: '%s': a word may not be empty or hold spaces\n",
				w);
			return -1;
		}
		n += (size_t)snprintf(req + n, len > n ? len - n : 0, "%s%s", i ? " " : "", w);
	}
	if (n + 1 >= len) {
		fprintf(stderr, "vhost-xdpctl: request longer than %d bytes\n", VX_CTL_LINE_MAX - 1);
		return -1;
	}
	req[n++] = '\n';
	req[n] = 0;
	return (int)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "nic", required_argument, NULL, 'i' },
		{ "socket-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = NULL, *nic = NULL, *dir = SOCKET_DIR_DEF;
	char path[256], req[VX_CTL_LINE_MAX + 1], buf[65536];
	size_t got = 0;
	ssize_t n;
	int c, fd, len, ok = -1;

	/* "+": options only before the command, whose words may start with '-'. */
	while ((c = getopt_long(argc, argv, "+s:i:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'i':
			nic = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	else if (nic)
		snprintf(path, sizeof(path), "%s/%s.ctl", dir, nic);
	else if (find_ctl(dir, path, sizeof(path)))
		return 1;
	len = build_request(argc - optind, argv + optind, req, sizeof(req));
	if (len < 0)
		return 2;
	fd = ctl_connect(path);
	if (fd < 0)
		return 1;
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		fprintf(stderr, "vhost-xdpctl: sending the request: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	/* "ok\n" then the body, streamed; or "error: ...\n". */
	while ((n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		if (ok < 0 && memchr(buf, '\n', got)) {
			char *nl = memchr(buf, '\n', got);

			ok = !strncmp(buf, "ok\n", 3);
			if (!ok) {
				buf[got] = 0;
				continue;
			}
			fwrite(nl + 1, 1, got - (size_t)(nl + 1 - buf), stdout);
			got = 0;
		} else if (ok > 0) {
			fwrite(buf, 1, got, stdout);
			got = 0;
		} else if (got == sizeof(buf) - 1) {
			break;
		}
	}
	close(fd);
	if (ok > 0)
		return 0;
	buf[got] = 0;
	if (ok < 0 && !got) {
		fprintf(stderr, "vhost-xdpctl: the daemon closed the connection without a reply\n");
		return 1;
	}
	fprintf(stderr, "vhost-xdpctl: %s", !strncmp(buf, "error: ", 7) ? buf + 7 : buf);
	if (got && buf[got - 1] != '\n')
		fputc('\n', stderr);
	return 1;
}
