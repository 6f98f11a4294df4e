"""One Access-Request through pyrad; prints the reply as JSON. pyrad checks the response authenticator."""
import json
import os
import sys

from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

req = json.loads(os.environ["PYRAD_REQUEST"])
here = os.path.dirname(os.path.abspath(__file__))
client = Client(server=req["host"], authport=req["port"], secret=req["secret"].encode(),
                dict=Dictionary(os.path.join(here, "dictionary.pyrad")))
client.timeout = 4
client.retries = 1
pkt = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=req["user"])
pkt["User-Password"] = pkt.PwCrypt(req["password"])
if req.get("state"):
    pkt["State"] = bytes.fromhex(req["state"])
# Keep the raw reply that pyrad's own VerifyReply checks, to read the attribute order from it.
captured = {}
verify = pkt.VerifyReply
def keep_raw(reply, rawreply=None):
    captured["raw"] = rawreply
    return verify(reply, rawreply)
pkt.VerifyReply = keep_raw
try:
    reply = client.SendPacket(pkt)
except Timeout:
    print(json.dumps({"code": "timeout", "attributes": {}, "order": []}))
    sys.exit(0)
names = {packet.AccessAccept: "Access-Accept", packet.AccessReject: "Access-Reject",
         packet.AccessChallenge: "Access-Challenge"}
attrs = {}
for key in reply.keys():
    values = reply[key]
    attrs[key] = [v.hex() if isinstance(v, bytes) else str(v) for v in values]
# Attribute type numbers in the order the reply carried them (Message-Authenticator must be first).
order = []
raw = captured["raw"]
pos = 20
while pos + 1 < len(raw) and raw[pos + 1] >= 2:
    order.append(str(raw[pos]))
    pos += raw[pos + 1]
print(json.dumps({"code": names.get(reply.code, str(reply.code)), "attributes": attrs, "order": order}))
