#!/usr/bin/env python3
"""A stand-in for systemd's notify socket: binds an AF_UNIX datagram socket (Node cannot), and appends one
JSON line per datagram to a file: the sender's credentials (SO_PASSCRED, as systemd reads them) and the text.
File descriptors that come along (systemd-notify's BARRIER=1 sends one) are closed at once, which is what
tells the sender that the message was processed. Usage: notify-receiver.py SOCKET_PATH OUTPUT_FILE"""
import array
import json
import os
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(path)
print("listening", flush=True)
CRED = struct.calcsize("iII")
with open(out, "a", encoding="utf-8") as f:
    while True:
        data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(CRED) + socket.CMSG_SPACE(16 * 4))
        pid = uid = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _gid = struct.unpack("iII", payload[:CRED])
            elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
                for fd in fds:
                    os.close(fd)
        f.write(json.dumps({"pid": pid, "uid": uid, "text": data.decode("utf-8", "replace")}) + "\n")
        f.flush()
