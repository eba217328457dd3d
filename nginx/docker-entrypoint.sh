#!/bin/sh
# The nginx container's entrypoint: renders the real-IP include of docker.conf from TRUSTED_PROXIES
# (comma-separated IPs/CIDRs of the front load balancers; empty: none), then runs the command
# (nginx). The text is byte for byte what scripts/lib/nginx.ts renderRealIpConf writes for the
# local stack (a test compares the two). Decision 0017.
set -eu
# No glob expansion of the split entries below.
set -f

conf="${REAL_IP_CONF:-/etc/nginx/shop/real-ip.conf}"
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
ipv4="$octet(\.$octet){3}(/([1-9]|[12][0-9]|3[0-2]))?"
# Loose on purpose: nginx itself refuses a malformed IPv6 address when it starts.
ipv6='[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(/([1-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?'

entries=''
IFS=','
for raw in ${TRUSTED_PROXIES:-}; do
  entry=$(printf '%s' "$raw" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
  [ -n "$entry" ] || continue
  # grep matches line by line: an entry holding a newline (or any character no address has)
  # could smuggle a second line past it, so such an entry is refused before grep sees it.
  case $entry in
    *[!0-9A-Fa-f:./]*) bad=1 ;;
    *) if printf '%s\n' "$entry" | grep -Eqx "$ipv4|$ipv6"; then bad=0; else bad=1; fi ;;
  esac
  if [ "$bad" = 1 ]; then
    echo "TRUSTED_PROXIES: \"$entry\" is not an IP address or CIDR range with a prefix length from 1 (e.g. 10.0.0.5, 10.0.0.0/16, 2001:db8::/48)" >&2
    exit 64
  fi
  entries="$entries $entry"
done
unset IFS

{
  echo '# Front load balancers trusted to name the client (TRUSTED_PROXIES, decision 0017).'
  if [ -z "$entries" ]; then
    echo '# None: the client is the TCP peer; an X-Forwarded-For it sends is ignored.'
  else
    for entry in $entries; do
      echo "set_real_ip_from $entry;"
    done
    echo 'real_ip_header X-Forwarded-For;'
    echo 'real_ip_recursive on;'
  fi
} > "$conf"

exec "$@"
