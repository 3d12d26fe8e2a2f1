#!/usr/bin/env bash
# The SMTP server tests read mail from: aiosmtpd (Debian's python3-aiosmtpd) storing every
# message it accepts as one file in a Maildir.
#   smtp_server.sh start DIR [PORT]   start it in the background, print shell exports
#   smtp_server.sh stop DIR
set -euo pipefail

command="${1:?usage: smtp_server.sh start|stop DIR [PORT]}"
dir="${2:?usage: smtp_server.sh start|stop DIR [PORT]}"
here="$(cd "$(dirname "$0")" && pwd)"

case "$command" in
  start)
    mkdir -p "$dir"  # aiosmtpd creates the Maildir (tmp/ new/ cur/) itself
    port="${3:-$("$here/free_port.sh")}"
    # /usr/bin/python3: the python3 first on PATH may be another install without aiosmtpd.
    nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox \
      "$dir/maildir" >"$dir/smtp.log" 2>&1 &
    echo $! >"$dir/smtp.pid"
    for _ in $(seq 1 100); do
      if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
        echo "export SMTP_TEST_PORT=$port SMTP_TEST_MAILDIR='$dir/maildir'"
        exit 0
      fi
      sleep 0.05
    done
    echo "smtp_server.sh: aiosmtpd did not start:" >&2
    cat "$dir/smtp.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/smtp.pid" ]; then
      kill "$(cat "$dir/smtp.pid")" 2>/dev/null || true
      rm -f "$dir/smtp.pid"
    fi
    ;;
  *)
    echo "usage: smtp_server.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
