#!/usr/bin/python3
"""One request to a privacyIDEA-compatible /validate endpoint, sent as privacyIDEA's FreeRADIUS
plugin (privacyidea_radius.pm) sends it: a form-encoded POST of user, pass, [state], client,
with the user agent FreeRADIUS; or, with --json, a JSON body as the SSO plugins send it.

usage: privacyidea_client.py URL [--json] [--header NAME:VALUE]... FIELD=VALUE...
prints one JSON line: {"status": HTTP status, "body": the body as text}"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def main(argv):
    url, as_json, headers, fields = argv[1], False, {"User-Agent": "FreeRADIUS"}, {}
    for arg in argv[2:]:
        if arg == "--json":
            as_json = True
        elif arg.startswith("--header"):
            name, _, value = arg.split("=", 1)[1].partition(":")
            headers[name] = value
        else:
            key, _, value = arg.partition("=")
            fields[key] = value
    if as_json:
        data = json.dumps(fields).encode()
        headers["Content-Type"] = "application/json"
    else:
        data = urllib.parse.urlencode(fields).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read().decode()
    print(json.dumps({"status": status, "body": body}))


if __name__ == "__main__":
    main(sys.argv)
