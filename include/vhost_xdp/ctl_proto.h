/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The control socket's protocol, shared by vhost-xdpd (user/ctl.c) and
 * vhost-xdpctl (ctl/). A client connects to the AF_UNIX stream socket,
 * sends one request line, and reads the reply until the daemon closes:
 *
 *   request  = VERB *( " " WORD ) "\n"      printable ASCII, at most
 *                                           VX_CTL_LINE_MAX bytes
 *   reply    = "ok\n" BODY | "error: " REASON "\n"
 *
 * Requests (the SPEC of `port add` is the one of --port):
 *   port add SPEC          port del NAME          reload
 *   port list [FMT]        port show NAME [FMT]   stats [FMT]
 * FMT is text (default), json, or for stats also prometheus.
 */
#ifndef VHOST_XDP_CTL_PROTO_H
#define VHOST_XDP_CTL_PROTO_H

#define VX_CTL_LINE_MAX 1024
/* A request must arrive whole within this time; the reply be taken within it too. */
#define VX_CTL_TIMEOUT_MS 5000

#endif
