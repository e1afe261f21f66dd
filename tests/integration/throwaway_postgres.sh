# Sourced by the PostgreSQL test wrappers: starts a throwaway cluster (initdb and pg_ctl from
# Debian's postgresql, as the postgres user when run as root, because PostgreSQL refuses to run as
# root; trust authentication, its unix socket in a temporary directory, TCP on 127.0.0.1 only, a
# free port) and stops and removes it on every exit, failed or not. Sets:
#   bindir  the server's bin directory (psql, pg_ctl)     tmp  the temporary directory
#   url     postgresql://postgres@127.0.0.1:PORT/postgres
#   pg_ctl  the pg_ctl command line for this cluster (an array; run as postgres when root)
# Fails (never skips) when PostgreSQL is not installed, naming the package.
# Usage: source throwaway_postgres.sh NAME   (NAME prefixes the messages)
pg_name=$1

# The newest installed server version; Debian installs each under /usr/lib/postgresql/<major>/.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "$pg_name: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb): install the" \
       "Debian package 'postgresql' (apt-get install postgresql; scripts/setup-deps.sh does)" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/tt-pg-test.XXXXXX)
as_postgres=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "$pg_name: running as root but there is no 'postgres' user to run the server as (the" \
         "postgresql package creates it)" >&2
    rm -rf "$tmp"
    exit 1
  fi
  chown postgres: "$tmp"
  as_postgres=(runuser -u postgres --)
fi
pg_ctl=("${as_postgres[@]}" "$bindir/pg_ctl" -D "$tmp/data")
cleanup_postgres() {
  "${pg_ctl[@]}" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup_postgres EXIT
trap 'exit 1' INT TERM HUP  # a timeout's SIGTERM also runs the cleanup (through EXIT)

if ! "${as_postgres[@]}" "$bindir/initdb" -D "$tmp/data" --auth=trust -U postgres -E UTF8 \
       --locale=C --no-sync >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
# A port nobody listens on; another process may take it before the server does, so a failed
# start tries another one. The options are stored in the data directory (postmaster.opts), so a
# plain `pg_ctl restart` would keep them; the wrappers start it again with the same ones.
started=0
for attempt in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + RANDOM % 40000 ))
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
  pg_options="-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off"
  if "${pg_ctl[@]}" -l "$tmp/server.log" -w -t 60 -o "$pg_options" start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [[ $started -ne 1 ]]; then
  echo "$pg_name: the PostgreSQL server did not start; its log:" >&2
  cat "$tmp/server.log" >&2 || true
  exit 1
fi
url="postgresql://postgres@127.0.0.1:$port/postgres"
echo "$pg_name: PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port"
