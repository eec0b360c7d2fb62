#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# An independent implementation of postdesk's token format, for tests:
#   mktoken.py SECRET_FILE PURPOSE TICKET ADDRESS
# prints the 16-character token: HMAC-SHA256 under the key over the
# length-prefixed fields ("v1", purpose, ticket, lower-cased address),
# first 80 bits, base32 lower case.
import base64, hashlib, hmac, struct, sys

def field(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b

key = bytes.fromhex(open(sys.argv[1]).readline().strip())
msg = b"".join(field(x) for x in
               ("v1", sys.argv[2], sys.argv[3], sys.argv[4].lower()))
mac = hmac.new(key, msg, hashlib.sha256).digest()[:10]
print(base64.b32encode(mac).decode().lower())
