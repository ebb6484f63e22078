#!/bin/sh
# Re-vendors the front-end assets from their npm packages (see README.md).
# Usage: assets/update.sh [DSFR_VERSION] [FLAG_ICONS_VERSION]
# Needs npm and tar. Copies only the files the pages use; the test flag xx.svg is ours and kept.
set -eu

DSFR_VERSION="${1:-1.15.3}"
FLAGS_VERSION="${2:-7.5.0}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "@gouvfr/dsfr@$DSFR_VERSION" >/dev/null
npm pack --silent "flag-icons@$FLAGS_VERSION" >/dev/null
mkdir dsfr flags
tar xzf "gouvfr-dsfr-$DSFR_VERSION.tgz" -C dsfr
tar xzf "flag-icons-$FLAGS_VERSION.tgz" -C flags

# DSFR: the core, the components the pages use (".main": no IE11 legacy, no print), the Marianne
# weights they use (woff2 only), the icons those components draw, the licence.
src=dsfr/package/dist
out="$here/dsfr"
rm -rf "$out"
mkdir -p "$out/core" "$out/fonts" "$out/icons/system"
cp dsfr/package/LICENSE.md "$out/LICENSE.md"
cp "$src/core/core.main.min.css" "$out/core/"
for c in alert badge button footer form header input link logo radio skiplink; do
    mkdir -p "$out/component/$c"
    cp "$src/component/$c/$c.main.min.css" "$out/component/$c/"
done
for f in Marianne-Regular Marianne-Medium Marianne-Bold; do
    cp "$src/fonts/$f.woff2" "$out/fonts/"
done
for i in fr--error-fill fr--info-fill fr--success-fill fr--warning-fill; do
    cp "$src/icons/system/$i.svg" "$out/icons/system/"
done

# flag-icons: the 4x3 flags of the EU and EEA member states (eIDAS says EL for Greece, flag-icons gr).
out="$here/flags"
find "$out" -name '*.svg' ! -name 'xx.svg' -delete
cp flags/package/LICENSE "$out/LICENSE"
for c in at be bg cy cz de dk ee es fi fr gr hr hu ie is it li lt lu lv mt nl no pl pt ro se si sk; do
    cp "flags/package/flags/4x3/$c.svg" "$out/"
done

du -sh "$here/dsfr" "$here/flags"
