#!/usr/bin/env bash
# composer.json as PIE reads it: valid against PIE's JSON schema for the
# php-ext section (vendored in packaging/pie/, see its README), no key the
# schema does not know (the schema itself allows any, so a misspelt
# "support-zst" would silently keep the default), and the values that must
# agree with the rest of the repo. PIE's build itself (phpize, ./configure
# --with-php-config=…, make, then modules/<extension-name>.so) is phpize.sh.
source "$(dirname "$0")/../lib.sh"
# Debian's Python, which has python3-jsonschema (PACKAGES in lib.sh).
/usr/bin/python3 - "$ROOT" <<'PY'
import json, re, sys
from pathlib import Path

import jsonschema

root = Path(sys.argv[1])
composer = json.loads((root / "composer.json").read_text())
schema = json.loads((root / "packaging/pie/composer-json-php-ext-schema.json").read_text())
problems = []
validator = jsonschema.Draft202012Validator(schema)
problems += [f"schema: {'/'.join(map(str, e.path)) or '.'}: {e.message}" for e in validator.iter_errors(composer)]
ext = composer.get("php-ext", {})
known = schema["properties"]["php-ext"]["properties"]
problems += [f"php-ext.{k}: not in PIE's schema" for k in ext if k not in known]
# PIE's docs: type php-ext (a PHP module), a vendor/package name.
if composer.get("type") != "php-ext":
    problems.append(f"type {composer.get('type')!r}: PIE needs php-ext for a PHP module")
if not re.fullmatch(r"[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*", composer.get("name", "")):
    problems.append(f"name {composer.get('name')!r}: not a Composer vendor/package name")
# PIE's ExtensionName::VALID_PACKAGE_NAME_REGEX; and the module's own name.
name = ext.get("extension-name", "")
if not re.fullmatch(r"[A-Za-z][a-zA-Z0-9_]+", name):
    problems.append(f"extension-name {name!r}: PIE refuses it")
if f"PHP_ARG_ENABLE([{name}]" not in (root / "config.m4").read_text():
    problems.append(f"extension-name {name!r}: config.m4 builds another module")
# The conf.d link PIE makes (NN-name.ini) orders it as the Debian package does.
ini_priority = re.search(r"^; priority=(\d+)", (root / "packaging/fpm_compat.ini").read_text(), re.M)
if not ini_priority or int(ini_priority[1]) != ext.get("priority"):
    problems.append(f"priority {ext.get('priority')}: packaging/fpm_compat.ini says {ini_priority and ini_priority[1]}")
for p in problems:
    print(p)
print(f"composer.json: {len(problems)} problem(s) against PIE's schema ({len(ext)} php-ext keys)")
sys.exit(1 if problems else 0)
PY
