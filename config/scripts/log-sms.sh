#!/bin/sh
# Example Script provider: appends the SMS to ./data/sms.log instead of sending it.
# Argument 1 is the phone number; the message arrives on stdin.
# Use it to try the daemon without an SMS gateway:
#   npx sms-otp-radiusd gateway set logfile --module script --option SCRIPT=log-sms.sh --option BACKGROUND=wait
set -eu
mkdir -p ../../data
printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$(cat)" >> ../../data/sms.log
