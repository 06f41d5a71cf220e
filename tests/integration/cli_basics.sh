#!/bin/bash
# cli_basics.sh: the command-line contract without any server: help, version,
# exit codes, plugin and provider listings, plugin install/remove/info,
# settings errors. Secrets never appear in output.
. "$(dirname "$0")/lib.sh"

run "$LLMHOST" --help
expect_rc "--help exits 0" 0
expect_in "--help shows usage" "$OUT" "Usage: llmhost"
run "$LLMHOST" --version
expect_rc "--version exits 0" 0
expect_in "--version names the ABI" "$OUT" "plugin ABI 1.0"
run "$LLMHOST"
expect_rc "no command exits 2" 2
run "$LLMHOST" frobnicate
expect_rc "unknown command exits 2" 2
expect_in "unknown command is named" "$ERR" '"frobnicate"'
run "$LLMHOST" --bogus plugins
expect_rc "unknown global option exits 2" 2
for c in plugins providers plugin; do
    run "$LLMHOST" $c --help
    expect_rc "$c --help exits 0" 0
    expect_in "$c --help shows usage" "$OUT" "Usage: llmhost $c"
done

# --help and --version open no plugin.
mkdir -p "$TMP/fx"
cp "$FIXTURE_DIR/fixture_good.so" "$FIXTURE_DIR/fixture_badmagic.so" "$TMP/fx/"
echo "not a plugin" > "$TMP/fx/x.so"
for a in --help --version; do
    LD_DEBUG=files "$LLMHOST" --plugin-path "$TMP/fx" $a >/dev/null 2>"$TMP/ld"
    if grep -q "dynamically loaded" "$TMP/ld"; then not_ok "$a opens no plugin"; else ok "$a opens no plugin"; fi
done
LD_DEBUG=files "$LLMHOST" --plugin-path "$TMP/fx" plugins >/dev/null 2>"$TMP/ld"
check "plugins does open plugins (the check above can fail)" grep -q "fixture_good.so" "$TMP/ld"

# plugins --json: the shape and each plugin's status.
run "$LLMHOST" --plugin-path "$TMP/fx" plugins --json
expect_rc "plugins --json exits 0" 0
expect_jq "every plugin has the contract's fields" \
    '.plugins | length > 0 and all(has("name") and has("path") and has("version") and has("abi") and has("status") and has("reason") and has("providers"))'
expect_jq "good fixture is loaded with its provider" \
    '.plugins[] | select(.name=="fixture_good") | .status=="loaded" and .providers==["fixture"] and .abi=="1.0" and .reason==null and .version=="0.0.1"'
expect_jq "bad magic fixture is refused with a reason" \
    '.plugins[] | select(.name=="fixture_badmagic") | .status=="refused" and (.reason|test("bad magic"))'
expect_jq "a text file named x.so is refused, not fatal" \
    '.plugins[] | select(.name=="x") | .status=="refused" and (.reason|test("not a loadable shared object"))'
expect_jq "bundled plugins are found from the build tree" \
    '.plugins[] | select(.name=="openai_endpoint") | .status=="loaded"'
run "$LLMHOST" --plugin-path "$TMP/fx" plugins
expect_in "human listing shows refusals" "$OUT" "refused"

# [host] deny skips a plugin.
run "$LLMHOST" --plugin-path "$TMP/fx" -s host.deny=fixture_good plugins --json
expect_jq "denied plugin is listed as refused" \
    '.plugins[] | select(.name=="fixture_good") | .status=="refused" and (.reason|test("deny"))'

# providers --json: shape, URL resolution, keys never shown.
SECRET="sk-test-SECRET-4242"
run "$LLMHOST" -s "llm.openai_endpoint.api_key=$SECRET" -s llm.openai_endpoint.url=localhost:8000/v1/ providers --json
expect_rc "providers --json exits 0" 0
expect_jq "providers have the contract's fields" \
    '.providers | length > 0 and all(has("key") and has("name") and has("kind") and has("base_url") and has("api_key_set"))'
expect_jq "URL from -s is normalized" \
    '.providers[] | select(.key=="openai_endpoint") | .base_url=="http://localhost:8000/v1" and .api_key_set==true and .kind=="custom"'
expect_not_in "the key is never printed" "$OUT$ERR" "$SECRET"
LLMHOST_LLM_OPENAI_ENDPOINT_URL=http://127.0.0.1:9999/v1 run "$LLMHOST" providers --json
expect_jq "URL from LLMHOST_ environment" \
    '.providers[] | select(.key=="openai_endpoint") | .base_url=="http://127.0.0.1:9999/v1" and .api_key_set==false'
LLMHOST_LLM_OPENAI_ENDPOINT_URL=http://127.0.0.1:9999/v1 run "$LLMHOST" -s llm.openai_endpoint.url=http://127.0.0.1:7777 providers --json
expect_jq "-s beats the environment" '.providers[] | select(.key=="openai_endpoint") | .base_url=="http://127.0.0.1:7777"'
run "$LLMHOST" -s llm.openai_endpoint.url=http://169.254.169.254/latest providers --json
expect_jq "cloud metadata URL is refused with a reason" \
    '.providers[] | select(.key=="openai_endpoint") | .base_url==null and (.error|test("169.254.169.254"))'
run "$LLMHOST" -s "llm.openai_endpoint.url=http://user:$SECRET@10.0.0.5:8000/v1" providers --json
expect_not_in "credentials in URLs are never shown" "$OUT$ERR" "$SECRET"

# Settings errors.
printf '[llm]\ntemperature = 0.5\nthis line is wrong\n' > "$TMP/bad.ini"
run "$LLMHOST" -c "$TMP/bad.ini" providers
expect_rc "config syntax error exits 2" 2
expect_in "syntax error names file:line" "$ERR" "bad.ini:3"
run "$LLMHOST" -c "$TMP/missing.ini" providers
expect_rc "missing -c file exits 2" 2
run "$LLMHOST" -s novalue providers
expect_rc "-s without = exits 2" 2
expect_in "-s error says what it expects" "$ERR" "KEY=VALUE"
printf '[llm]\nfrobnicate_level = 3\n' > "$TMP/unknown.ini"
run "$LLMHOST" -c "$TMP/unknown.ini" providers --json
expect_rc "unknown key is not an error" 0
expect_in "unknown key is a warning with file:line" "$ERR" "unknown.ini:2"
mkdir -p "$XDG_CONFIG_HOME/llmhost"
printf '[llm.openai_endpoint]\nurl = http://127.0.0.1:6543/v1\n' > "$XDG_CONFIG_HOME/llmhost/llmhost.ini"
run "$LLMHOST" providers --json
expect_jq "the XDG config file is read" '.providers[] | select(.key=="openai_endpoint") | .base_url=="http://127.0.0.1:6543/v1"'
rm -f "$XDG_CONFIG_HOME/llmhost/llmhost.ini"

# plugin install / info / remove.
run "$LLMHOST" plugin install "$TMP/fx/x.so"
expect_rc "installing a non-plugin exits 4" 4
check "a refused file is not copied" test ! -e "$XDG_DATA_HOME/llmhost/plugins/x.so"
run "$LLMHOST" plugin install "$TMP/fx/fixture_badmagic.so"
expect_rc "installing a bad-magic plugin exits 4" 4
expect_in "refusal reason is shown" "$ERR" "bad magic"
run "$LLMHOST" plugin install "$TMP/fx/fixture_good.so"
expect_rc "installing a good plugin exits 0" 0
check "the plugin is in the user dir" test -f "$XDG_DATA_HOME/llmhost/plugins/fixture_good.so"
run "$LLMHOST" plugins --json
expect_jq "the installed plugin loads from the user dir" \
    '.plugins[] | select(.name=="fixture_good" and .status=="loaded") | .path|test("/data/llmhost/plugins/")'
run "$LLMHOST" plugin info fixture_good --json
expect_rc "plugin info exits 0" 0
expect_jq "plugin info describes providers" '.provider_details[0].key=="fixture" and .description=="a test fixture"'
run "$LLMHOST" plugin info nosuch
expect_rc "plugin info of an unknown plugin exits 4" 4
run "$LLMHOST" plugin remove fixture_good
expect_rc "plugin remove exits 0" 0
check "the plugin file is gone" test ! -e "$XDG_DATA_HOME/llmhost/plugins/fixture_good.so"
run "$LLMHOST" plugin remove fixture_good
expect_rc "removing it again exits 4" 4
run "$LLMHOST" plugin frob
expect_rc "unknown plugin subcommand exits 2" 2

finish
