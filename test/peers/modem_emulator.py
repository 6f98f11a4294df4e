"""A GSM modem on the far end of a pseudo-terminal, answering AT commands as modems do:
echo on until ATE0, "> " prompt without line end after AT+CMGS, +CMGS/+CMS ERROR results.
PDUs are decoded with python-gammu (a third-party decoder) and printed as JSON lines
"SMS {...}"; every command is printed as "CMD ...".

Usage: modem_emulator.py TTY [--pin PIN] [--fail-suffix DIGITS] [--hang-suffix DIGITS]"""
import argparse
import json
import os
import re
import sys
import tty

import gammu

args = argparse.ArgumentParser()
args.add_argument("tty")
args.add_argument("--pin")
args.add_argument("--fail-suffix")
args.add_argument("--hang-suffix")
opts = args.parse_args()

fd = os.open(opts.tty, os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
print("ready", flush=True)
state = {"echo": True, "pin_ok": opts.pin is None, "mode": 0, "pending": None, "hung": False, "mr": 0}


def out(text):
    os.write(fd, text.encode("latin-1"))


def log(kind, value):
    print(kind + " " + json.dumps(value), flush=True)


def result(text):
    out("\r\n" + text + "\r\n")


def finish_message(body):
    pending = state["pending"]
    state["pending"] = None
    if state["mode"] == 0:
        pdu = bytes.fromhex(body)
        sms = gammu.DecodePDU(pdu, SMSC=True)
        if pending["length"] != len(pdu) - 1 - pdu[0]:
            result("+CMS ERROR: 304")
            return
        udh = sms["UDH"]
        info = {"number": sms["Number"], "text": sms["Text"], "coding": sms["Coding"], "smsc": sms["SMSC"]["Number"],
                "part": udh["PartNumber"], "parts": udh["AllParts"], "ref": udh["ID8bit"]}
    else:
        info = {"number": pending["number"], "text": body}
    if opts.fail_suffix and info["number"].endswith(opts.fail_suffix):
        result("+CMS ERROR: 500")
        return
    if opts.hang_suffix and info["number"].endswith(opts.hang_suffix):
        state["hung"] = True
        return
    log("SMS", info)
    state["mr"] += 1
    result("+CMGS: %d\r\n\r\nOK" % state["mr"])


def command(line):
    log("CMD", line)
    upper = line.upper()
    if upper == "AT":
        return result("OK")
    if upper == "ATE0":
        state["echo"] = False
        return result("OK")
    if upper == "AT+CPIN?":
        return result("+CPIN: %s\r\n\r\nOK" % ("READY" if state["pin_ok"] else "SIM PIN"))
    m = re.match(r'AT\+CPIN="?(\d+)"?$', line, re.I)
    if m:
        if m.group(1) == opts.pin:
            state["pin_ok"] = True
            return result("OK")
        return result("+CME ERROR: 16")
    if not state["pin_ok"]:
        return result("+CME ERROR: 11")
    m = re.match(r"AT\+CMGF=([01])$", line, re.I)
    if m:
        state["mode"] = int(m.group(1))
        return result("OK")
    if upper.startswith("AT+CSCA="):
        return result("OK")
    m = re.match(r'AT\+CMGS=(?:"([^"]*)"|(\d+))$', line, re.I)
    if m:
        state["pending"] = {"number": m.group(1), "length": int(m.group(2)) if m.group(2) else None}
        out("\r\n> ")
        return None
    return result("ERROR")


buffer = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    if state["hung"]:
        continue
    buffer += data
    while True:
        if state["pending"] is not None:
            end = buffer.find(b"\x1a")
            if end < 0:
                break
            body, buffer = buffer[:end].decode("latin-1"), buffer[end + 1:]
            finish_message(body)
            continue
        end = buffer.find(b"\r")
        if end < 0:
            break
        line, buffer = buffer[:end].decode("latin-1").strip(), buffer[end + 1:]
        if state["echo"]:
            out(line + "\r")
        if line:
            command(line)
