#!/usr/bin/env bash
# Check the chat page of `llmparts serve` in a real browser: start the
# server on the embedded model (or -m MODEL), let headless Chromium open
# GET /?q=MESSAGE (the page sends MESSAGE to /v1/chat/completions and
# streams the answer), check the answer and its tokens/s arrived in the
# DOM, and save a screenshot.
#
#   scripts/chat-page.sh [OUT.png] [MESSAGE] [-- serve flags...]
#
# Needs Debian's chromium (apt-get install -y chromium). Default output:
# docs/figures/chat-page.png.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/figures/chat-page.png}
msg=${2:-$'func main() {\n\tfmt.Println('}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
	echo "chat-page.sh: chromium not found (apt-get install -y chromium)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/llmparts" ./cmd/llmparts
"$tmp/llmparts" serve --port 0 "$@" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do
	url=$(sed -n 's/^listening on //p' "$tmp/serve.log")
	[[ -n $url ]] && curl -sf "$url/health" >/dev/null && break
	sleep 0.1
done
[[ -n ${url:-} ]] || { cat "$tmp/serve.log" >&2; exit 1; }
q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$msg")
page="$url/?q=$q&max=120&temp=0"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
	--disable-sync --no-first-run --hide-scrollbars --window-size=900,560 --virtual-time-budget=15000)
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile1" --dump-dom "$page" >"$tmp/dom.html" 2>"$tmp/chromium.log"
if ! grep -q 'id="done"' "$tmp/dom.html" || ! grep -q 'tok/s' "$tmp/dom.html"; then
	echo "chat-page.sh: no finished answer in the page:" >&2
	cat "$tmp/dom.html" "$tmp/chromium.log" >&2
	exit 1
fi
grep -o '<div class="stats" id="done">[^<]*' "$tmp/dom.html" | sed 's/.*>/answer: /'
"$browser" "${flags[@]}" --user-data-dir="$tmp/profile2" --screenshot="$PWD/$out" "$page" 2>>"$tmp/chromium.log"
echo "wrote $out"
grep -c ' POST /v1/chat/completions 200 ' "$tmp/serve.log" | sed 's/^/chat requests served: /'
