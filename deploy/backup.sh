#!/bin/sh
# Nightly backup of everything partyquiz cannot rebuild: gradebook, ledger, hub state, the
# nbgrader course (source, submitted, autograded, feedback) and the exchange.
# Usage: deploy/backup.sh /backup/partyquiz   (cron: 0 2 * * * root /opt/partyquiz/deploy/backup.sh /backup/partyquiz)
# Needs: pg_dump, tar. Reads the database URLs from /etc/partyquiz/env (mode 600).
set -eu
DEST=${1:?backup folder}
[ -r /etc/partyquiz/env ] && . /etc/partyquiz/env
STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$DEST/$STAMP"
umask 077                      # personnel data: readable by root only
mkdir -p "$OUT"
for db in gradebook ledger jupyterhub; do
    url=$(eval echo "\${PARTYQUIZ_${db}_DUMP_URL:-}")
    [ -n "$url" ] && pg_dump --format=custom --file="$OUT/$db.dump" "$url"
done
tar -C / -czf "$OUT/nbgrader.tar.gz" srv/nbgrader
tar -C / -czf "$OUT/hub-state.tar.gz" --exclude='*.pid' srv/jupyterhub
( cd "$OUT" && sha256sum ./* > SHA256SUMS )
# keep 30 days
find "$DEST" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
echo "backup written to $OUT"
