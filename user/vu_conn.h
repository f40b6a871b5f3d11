/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vhost-user socket of one port: listen (server mode) or connect and
 * reconnect (client mode), then feed messages to the device. Each port has
 * its own control thread, so a VMM that stalls in the middle of a message
 * holds up only its own port.
 */
#ifndef VX_VU_CONN_H
#define VX_VU_CONN_H

#include "vhost_user.h"

/* Checks the socket path and, in server mode, creates the listening socket. */
int vx_conn_prepare(struct vx_dev *dev);
/* Starts the port's control thread; it runs until stop_fd becomes readable. */
int vx_conn_start(struct vx_dev *dev, int stop_fd);
/* Joins the thread and removes the socket file (server mode). */
void vx_conn_stop(struct vx_dev *dev);

#endif
