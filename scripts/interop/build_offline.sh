#!/bin/sh
# Build nanomdm and scepserver offline (no Go module proxy) for scripts/interop/nanomdm.sh.
#
# Their code is never part of this repository: it is unpacked from git mirrors into $INTEROP
# (default /work/interop) and every dependency is a `replace` to a local copy — a git mirror
# or a Debian golang-*-dev package under /usr/share/gocode — so GOPROXY=off works with Go 1.19.
#
#   NANOMDM_GIT=<git dir of micromdm/nanomdm>  NANOMDM_REV=HEAD
#   SCEP_GIT=<git dir of micromdm/scep>        SCEP_REV=v2.2.0   (the last tag before smallstep/scep)
#   MIRRORS=<dir holding owner+name/repo git dirs of nanolib, plist, buford, smallstep/pkcs7, groob/finalizer>
# Prints the two binaries' paths.
set -eu
INTEROP=${INTEROP:-/work/interop/nanomdm-check}
MIRRORS=${MIRRORS:-/work/.mirror}
NANOMDM_GIT=${NANOMDM_GIT:-$MIRRORS/micromdm+nanomdm/repo}
NANOMDM_REV=${NANOMDM_REV:-HEAD}
SCEP_GIT=${SCEP_GIT:-$MIRRORS/micromdm+scep/repo}
SCEP_REV=${SCEP_REV:-v2.2.0}
DEBIAN=${DEBIAN_GOCODE:-/usr/share/gocode/src}
DEPS=$INTEROP/deps
export GOPROXY=off GOFLAGS=-mod=mod GOSUMDB=off
export GOPATH=$INTEROP/gopath GOCACHE=$INTEROP/gocache

# unpack <git dir> <rev> <dest>
unpack() { rm -rf "$3"; mkdir -p "$3"; git --git-dir="$1" archive "$2" | tar -x -C "$3"; }
# debian <import path> <module path>: copy a Debian source package with a bare go.mod, so that its
# own (newer) requirements do not pull modules nothing here imports and no copy exists of
debian() {
    rm -rf "$DEPS/$1"; mkdir -p "$DEPS/$1"; cp -r "$DEBIAN/$1/." "$DEPS/$1/"
    rm -f "$DEPS/$1/go.sum"; printf 'module %s\n\ngo 1.16\n' "$2" > "$DEPS/$1/go.mod"
}

mkdir -p "$DEPS"
unpack "$MIRRORS/micromdm+nanolib/repo" v0.5.1 "$DEPS/nanolib"
unpack "$MIRRORS/micromdm+plist/repo" v0.2.2 "$DEPS/plist"
unpack "$MIRRORS/RobotsAndPencils+buford/repo" v0.14.0 "$DEPS/buford"
unpack "$MIRRORS/smallstep+pkcs7/repo" v0.2.1 "$DEPS/smallstep-pkcs7"
unpack "$MIRRORS/groob+finalizer/repo" HEAD "$DEPS/finalizer"
[ -f "$DEPS/finalizer/go.mod" ] || printf 'module github.com/groob/finalizer\n\ngo 1.16\n' > "$DEPS/finalizer/go.mod"
for p in github.com/peterbourgon/diskv github.com/google/btree github.com/go-sql-driver/mysql \
         github.com/lib/pq golang.org/x/net golang.org/x/crypto golang.org/x/text golang.org/x/sys \
         golang.org/x/term github.com/go-kit/kit github.com/gorilla/mux github.com/boltdb/bolt \
         github.com/pkg/errors github.com/go-stack/stack github.com/go-logfmt/logfmt; do
    mod=$p; [ "$p" = github.com/peterbourgon/diskv ] && mod=$p/v3
    debian "$p" "$mod"
done

# replaces <go.mod dir>: point every dependency at its local copy
replaces() {
    (cd "$1" && go mod edit \
        -replace github.com/micromdm/nanolib="$DEPS/nanolib" \
        -replace github.com/micromdm/plist="$DEPS/plist" \
        -replace github.com/RobotsAndPencils/buford="$DEPS/buford" \
        -replace github.com/smallstep/pkcs7="$DEPS/smallstep-pkcs7" \
        -replace github.com/groob/finalizer="$DEPS/finalizer" \
        -replace github.com/peterbourgon/diskv/v3="$DEPS/github.com/peterbourgon/diskv" \
        -replace github.com/google/btree="$DEPS/github.com/google/btree" \
        -replace github.com/go-sql-driver/mysql="$DEPS/github.com/go-sql-driver/mysql" \
        -replace github.com/lib/pq="$DEPS/github.com/lib/pq" \
        -replace golang.org/x/net="$DEPS/golang.org/x/net" \
        -replace golang.org/x/crypto="$DEPS/golang.org/x/crypto" \
        -replace golang.org/x/text="$DEPS/golang.org/x/text" \
        -replace golang.org/x/sys="$DEPS/golang.org/x/sys" \
        -replace golang.org/x/term="$DEPS/golang.org/x/term" \
        -replace github.com/go-kit/kit="$DEPS/github.com/go-kit/kit" \
        -replace github.com/gorilla/mux="$DEPS/github.com/gorilla/mux" \
        -replace github.com/boltdb/bolt="$DEPS/github.com/boltdb/bolt" \
        -replace github.com/pkg/errors="$DEPS/github.com/pkg/errors" \
        -replace github.com/go-stack/stack="$DEPS/github.com/go-stack/stack" \
        -replace github.com/go-logfmt/logfmt="$DEPS/github.com/go-logfmt/logfmt")
}
for d in nanolib buford smallstep-pkcs7; do replaces "$DEPS/$d"; done

unpack "$NANOMDM_GIT" "$NANOMDM_REV" "$INTEROP/nanomdm-src"
replaces "$INTEROP/nanomdm-src"
version=$(git --git-dir="$NANOMDM_GIT" describe --tags --always "$NANOMDM_REV")
(cd "$INTEROP/nanomdm-src" && go build -ldflags "-X main.version=$version" -o "$INTEROP/bin/nanomdm" ./cmd/nanomdm)

unpack "$SCEP_GIT" "$SCEP_REV" "$INTEROP/scep-src"
replaces "$INTEROP/scep-src"
# indirect requirements nothing here imports (and no copy exists of)
(cd "$INTEROP/scep-src" && go mod edit -droprequire github.com/gorilla/context -droprequire github.com/kr/logfmt)
version=$(git --git-dir="$SCEP_GIT" describe --tags --always "$SCEP_REV")
(cd "$INTEROP/scep-src" && go build -ldflags "-X main.version=$version" -o "$INTEROP/bin/scepserver" ./cmd/scepserver)

echo "NANOMDM_BIN=$INTEROP/bin/nanomdm"
echo "SCEPSERVER_BIN=$INTEROP/bin/scepserver"
