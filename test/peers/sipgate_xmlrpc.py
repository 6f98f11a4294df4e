"""Sipgate's samurai XML-RPC API as Python's stdlib serves it, for the Sipgate provider tests.

Basic auth otp/secret-pw; user "broke" gets HTTP 402; a Content containing FAULT gets an
XML-RPC fault; one containing STATUS407 gets StatusCode 407. Each call is printed as a
JSON line "CALL {...}" with the auth user, the method and its struct."""
import base64
import json
import sys
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

current_user = {"name": None}


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def do_POST(self):
        header = self.headers.get("Authorization", "")
        user, _, password = base64.b64decode(header[6:]).decode().partition(":") if header.startswith("Basic ") else ("", "", "")
        if user == "broke":
            self.send_response(402)
            self.end_headers()
            return
        if (user, password) != ("otp", "secret-pw"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="samurai"')
            self.end_headers()
            return
        current_user["name"] = user
        super().do_POST()

    def log_message(self, *args):
        pass


def session_initiate(params):
    print("CALL " + json.dumps({"user": current_user["name"], "method": "samurai.SessionInitiate", "params": params}), flush=True)
    if "FAULT" in params.get("Content", ""):
        raise xmlrpc.client.Fault(407, "Invalid parameter value")
    if "STATUS407" in params.get("Content", ""):
        return {"StatusCode": 407, "StatusString": "Invalid parameter value"}
    return {"StatusCode": 200, "StatusString": "Method success", "SessionID": "abc123"}


server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=Handler, logRequests=False, allow_none=True)
server.register_function(session_initiate, "samurai.SessionInitiate")
print(f"ready {server.server_address[1]}", flush=True)
server.serve_forever()
