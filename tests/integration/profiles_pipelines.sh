#!/bin/bash
# profiles_pipelines.sh: profiles ([profile.NAME]) and pipelines
# ([pipeline.NAME]) through the llmhost binary, against the mock server
# scripted to answer per stage (tests/integration/fixtures/
# pipeline-mock-script.json: one rule per stage prompt). Checks what reaches
# the server (the composed system prompt, temperature, max_tokens, model),
# precedence (-s and the environment beat a profile, a profile beats the
# file), the confidence line parsed out of the answer, `profiles --json`, a
# three-stage pipeline whose expert stage runs only when the classifier says
# yes, a failing stage that stops the pipeline (exit 3) unless on_error =
# continue, the --json shape, and load errors with FILE:LINE.
# Only 127.0.0.1 is contacted: the mock started here, and a second mock's
# port after it was stopped (the dead server).
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY 2>/dev/null || true
export no_proxy='*' NO_PROXY='*'
unset LLMHOST_LLM_TEMPERATURE LLMHOST_LLM_PROVIDER LLMHOST_LLM_MODEL 2>/dev/null || true

FIX="$top_srcdir/tests/integration/fixtures"

# ---- helpers
ctl() { curl --noproxy '*' -s -m 5 "$@"; }
mock_reset() { ctl -X POST "$1/_mock/reset" >/dev/null; }
requests() { ctl "$1/_mock/requests"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", expected \"$3\""; fi; }
# jq_on NAME JSON FILTER
jq_on() {
    if printf '%s' "$2" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
    else not_ok "$1" "jq '$3' false on: $(printf '%s' "$2" | head -c 800)"; fi
}

# ---- servers: the scripted mock, and a dead one (started, then stopped)
start_mock
DEAD_PORT=$MOCK_PORT
stop_mock "$MOCK_PID"
start_mock --script "$FIX/pipeline-mock-script.json"
M=$MOCK_URL
DEAD="http://127.0.0.1:$DEAD_PORT/v1"

# ---- the config: profiles and pipelines next to a knowledge file
CONF="$TMP/conf"
mkdir -p "$CONF"
cp "$FIX/astronomy-knowledge.md" "$CONF/"
INI="$CONF/llmhost.ini"
cat >"$INI" <<EOF
[llm]
request_timeout = 5
retry_initial_delay = 0.05
temperature = 0.7

[llm.openai_endpoint]
url = $M/v1
temperature = 0.9
stream_usage = true

[profile.quick]
provider = openai_endpoint
model = mock-small
style = concise
max_length = 40
include_confidence = true
temperature = 0.2

[profile.classifier]
provider = openai_endpoint
model = mock-small
system = Answer yes or no.
max_length = 10
temperature = 0

[profile.expert]
provider = openai_endpoint
model = mock-large
style = technical
domain = atmospheric physics
expertise_level = 0.9
knowledge = @astronomy-knowledge.md

[profile.dead]
provider = openai_endpoint
model = mock-small
openai_endpoint.url = $DEAD
max_retries = 0

[pipeline.research]
stages = explore, classify, expert
[pipeline.research.explore]
profile = quick
prompt = EXPLORE: {query}
[pipeline.research.classify]
profile = classifier
prompt = CLASSIFY: Query: {query} Notes: {previous} Does this need an expert? Answer yes or no.
answer = no
[pipeline.research.expert]
profile = expert
prompt = EXPERT: {query} Notes so far: {stage.explore}
when = stage.classify says yes

[pipeline.rx]
stages = explore, deep
[pipeline.rx.explore]
profile = quick
prompt = EXPLORE: {query}
[pipeline.rx.deep]
profile = expert
prompt = EXPERT: {previous}
when = previous matches "scatter(s|ing)"

[pipeline.fragile]
stages = first, broken, last
[pipeline.fragile.first]
profile = quick
prompt = EXPLORE: {query}
[pipeline.fragile.broken]
profile = dead
prompt = SUMMARY: {previous}
[pipeline.fragile.last]
profile = classifier
prompt = CLASSIFY: Query: {query} Notes: {stage.first}
EOF
L=("$LLMHOST" -c "$INI")

# ---- chat --profile: what the server receives
mock_reset "$M"
run "${L[@]}" chat --profile quick --json "EXPLORE: why is the sky blue"
expect_rc "chat --profile exits 0" 0
REQ=$(requests "$M" | jq -c '.requests[-1].body')
jq_on "the profile's model is asked" "$REQ" '.model == "mock-small"'
jq_on "the system prompt comes first" "$REQ" '.messages[0].role == "system" and .messages[1].role == "user"'
jq_on "the system prompt has the style" "$REQ" '.messages[0].content | contains("Style: concise.")'
jq_on "the system prompt has the length limit" "$REQ" '.messages[0].content | contains("Keep the answer under 40 words.")'
jq_on "the system prompt asks for the confidence line" "$REQ" '.messages[0].content | contains("Confidence: NN%")'
jq_on "the profile's temperature beats [llm] and [llm.openai_endpoint]" "$REQ" '.temperature == 0.2'
jq_on "max_length 40 gives max_tokens 70 (40 x 1.5 + 10 for the confidence line)" "$REQ" '.max_tokens == 70'
jq_on "--json: the confidence is parsed" "$OUT" '.confidence == 60 and .profile == "quick"'
jq_on "--json: the confidence line is removed from the content" "$OUT" '.content == "Sunlight scatters in the air, roughly."'

run "${L[@]}" chat --profile quick "EXPLORE: why is the sky blue"
expect_rc "streamed chat --profile exits 0" 0
expect_eq "streamed: the confidence line never reaches stdout" "$OUT" "Sunlight scatters in the air, roughly."

run "${L[@]}" chat --profile expert --dry-run "EXPERT: hi"
SYS=$(printf '%s' "$OUT" | jq -r '.requests[0].body.messages[0].content')
expect_in "domain in the system prompt" "$SYS" "You are an expert in atmospheric physics."
expect_in "expertise level in the system prompt" "$SYS" "expertise level is 0.90"
expect_in "knowledge file (relative to the config) in the system prompt" "$SYS" "Rayleigh scattering: scattering of light"
expect_in "technical style in the system prompt" "$SYS" "Style: technical."

# ---- precedence: -s and the environment beat the profile, the profile beats the file
run "${L[@]}" chat -p openai_endpoint -m mock-small --dry-run "hi"
jq_on "without a profile, [llm.openai_endpoint] temperature applies" "$OUT" '.requests[0].body.temperature == 0.9'
run "${L[@]}" -s llm.temperature=0.5 chat --profile quick --dry-run "hi"
jq_on "-s llm.temperature beats the profile" "$OUT" '.requests[0].body.temperature == 0.5'
run env LLMHOST_LLM_TEMPERATURE=0.6 "${L[@]}" chat --profile quick --dry-run "hi"
jq_on "LLMHOST_LLM_TEMPERATURE beats the profile" "$OUT" '.requests[0].body.temperature == 0.6'
run "${L[@]}" -s llm.max_tokens=50 chat --profile quick --dry-run "hi"
jq_on "max_length never exceeds the max_tokens setting" "$OUT" '.requests[0].body.max_tokens == 50'
run "${L[@]}" chat --profile quick -m mock-large --temperature 1 --max-tokens 9 --dry-run "hi"
jq_on "chat's own flags beat the profile" "$OUT" '.requests[0].body | .model == "mock-large" and .temperature == 1 and .max_tokens == 9'

run "${L[@]}" chat --profile nosuch "hi"
expect_rc "an unknown profile is a usage error" 2
expect_in "an unknown profile names the defined ones" "$ERR" 'unknown profile "nosuch"; defined: quick, classifier, expert, dead'

# ---- profiles
run "${L[@]}" profiles --json
expect_rc "profiles --json exits 0" 0
jq_on "profiles --json lists every profile in file order" "$OUT" '[.profiles[].name] == ["quick", "classifier", "expert", "dead"]'
jq_on "profiles --json: quick resolves" "$OUT" '.profiles[0] | .valid and .provider == "openai_endpoint" and .model == "mock-small" and .style == "concise" and .max_length == 40 and .max_tokens == 70 and .include_confidence == true and .expertise_level == null'
jq_on "profiles --json: expert resolves" "$OUT" '.profiles[2] | .domain == "atmospheric physics" and .expertise_level == 0.9 and (.system | contains("Rayleigh"))'
jq_on "profiles --json: the source is its first key line" "$OUT" '.profiles[0].source | endswith("llmhost.ini:12")'
run "${L[@]}" profiles
expect_rc "profiles exits 0" 0
expect_in "profiles shows provider/model" "$OUT" "quick  openai_endpoint/mock-small"
expect_in "profiles shows the system prompt's first line" "$OUT" "system: Answer yes or no."

BAD="$CONF/bad.ini"
{ cat "$INI"; printf '\n[profile.broken]\nprovider = openai_endpoint\nexpertise_level = 2\n'; } >"$BAD"
BAD_LINE=$(grep -n '^expertise_level = 2' "$BAD" | cut -d: -f1)
run "$LLMHOST" -c "$BAD" profiles --json
expect_rc "an invalid profile makes profiles exit 2" 2
jq_on "the invalid profile is listed with its error" "$OUT" \
    ".profiles[-1] | .name == \"broken\" and .valid == false and .error == \"$BAD:$BAD_LINE: profile.broken: expertise_level must be between 0 and 1, got \\\"2\\\"\""
jq_on "the valid profiles are still listed" "$OUT" '[.profiles[] | select(.valid)] | length == 4'
run "$LLMHOST" -c "$BAD" chat --profile broken "hi"
expect_rc "chat with an invalid profile exits 2" 2
expect_in "chat with an invalid profile says FILE:LINE" "$ERR" "$BAD:$BAD_LINE: profile.broken: expertise_level"

# ---- a three-stage pipeline: the expert runs when the classifier says yes
mock_reset "$M"
run "${L[@]}" pipeline research "why is the sky blue"
expect_rc "pipeline exits 0" 0
expect_eq "the final answer (the expert's) is on stdout" "$OUT" \
    "Shorter wavelengths scatter more: Rayleigh scattering goes as 1/lambda^4."
expect_in "stage explore streams under its heading on stderr" "$ERR" "== stage explore (openai_endpoint/mock-small)"
expect_in "stage classify has its heading" "$ERR" "== stage classify (openai_endpoint/mock-small)"
expect_in "stage expert has its heading with its own model" "$ERR" "== stage expert (openai_endpoint/mock-large)"
expect_in "a stage's answer streams on stderr" "$ERR" "Yes, an expert should look at this."
expect_not_in "the confidence line is not streamed" "$ERR" "Confidence: 60%"
RQ=$(requests "$M")
jq_on "three chats reached the server" "$RQ" '.requests | length == 3'
jq_on "stage 1's prompt is the template with {query}" "$RQ" '.requests[0].body.messages[-1].content == "EXPLORE: why is the sky blue"'
jq_on "{previous} is the explorer's answer without its confidence line" "$RQ" \
    '.requests[1].body.messages[-1].content == "CLASSIFY: Query: why is the sky blue Notes: Sunlight scatters in the air, roughly. Does this need an expert? Answer yes or no."'
jq_on "{stage.explore} reaches the expert" "$RQ" '.requests[2].body.messages[-1].content == "EXPERT: why is the sky blue Notes so far: Sunlight scatters in the air, roughly."'
jq_on "each stage uses its profile's settings" "$RQ" '[.requests[].body.temperature] == [0.2, 0, 0.9]'

echo "why is the sky blue" | run "${L[@]}" pipeline research -
expect_rc "pipeline reads the query from stdin with -" 0
expect_in "the stdin query reaches the first stage" "$(requests "$M" | jq -r '.requests[-3].body.messages[-1].content')" "EXPLORE: why is the sky blue"

# ... and is skipped, with the reason, when it says no
mock_reset "$M"
run "${L[@]}" pipeline research --json "what is 2+2"
expect_rc "pipeline with a skipped stage exits 0" 0
jq_on "--json shape" "$OUT" 'keys == ["answer", "error", "pipeline", "query", "stages"] and .pipeline == "research" and .query == "what is 2+2"'
jq_on "--json: every stage has the documented fields" "$OUT" \
    '[.stages[] | has("name") and has("status") and has("reason") and has("provider") and has("model") and has("content") and has("latency_ms") and has("usage")] | all'
jq_on "--json: stages ok, ok, skipped" "$OUT" '[.stages[].status] == ["ok", "ok", "skipped"]'
jq_on "--json: the skipped stage says why" "$OUT" '.stages[2].reason | contains("stage classify said \"no\", not \"yes\"")'
jq_on "--json: the answer is the last stage that ran, passing over answer = no" "$OUT" '.answer == "Sunlight scatters in the air, roughly." and .error == null'
jq_on "--json: provider, model, content, confidence, latency and usage of a stage" "$OUT" \
    '.stages[0] | .provider == "openai_endpoint" and .model == "mock-small" and .content == "Sunlight scatters in the air, roughly." and .confidence == 60 and (.latency_ms | type) == "number" and .usage.completion_tokens > 0'
jq_on "--json: a skipped stage has no provider, content or usage" "$OUT" '.stages[2] | .provider == null and .content == null and .usage == null and .latency_ms == null'
jq_on "the skipped expert never reached the server" "$(requests "$M")" '.requests | length == 2'

run "${L[@]}" pipeline research "what is 2+2"
expect_in "the skipped stage is reported on stderr" "$ERR" "== stage expert skipped: stage classify said \"no\""
expect_eq "stdout has the final answer only (the explorer's)" "$OUT" "Sunlight scatters in the air, roughly."

# when = previous matches REGEX
run "${L[@]}" pipeline rx --json "why is the sky blue"
jq_on "previous matches REGEX: runs when it matches (any case)" "$OUT" '[.stages[].status] == ["ok", "ok"]'
run "${L[@]}" -s 'pipeline.rx.deep.when=previous matches ^never' pipeline rx --json "why is the sky blue"
jq_on "previous matches REGEX: skipped when it does not" "$OUT" '.stages[1].status == "skipped" and (.stages[1].reason | contains("does not match \"^never\""))'

# ---- a failing stage
mock_reset "$M"
run "${L[@]}" pipeline fragile "why is the sky blue"
expect_rc "a failed stage stops the pipeline with exit 3" 3
expect_in "the error names the stage" "$ERR" "llmhost: stage broken failed: "
expect_eq "nothing on stdout when the pipeline failed" "$OUT" ""
jq_on "the stages after the failed one did not run" "$(requests "$M")" '.requests | length == 1'
run "${L[@]}" pipeline fragile --json "why is the sky blue"
expect_rc "--json: a failed stage still exits 3" 3
jq_on "--json: the stages so far and the error" "$OUT" \
    '[.stages[].status] == ["ok", "failed"] and (.stages[1].reason | length > 0) and (.error | startswith("stage broken failed: ")) and .answer == "Sunlight scatters in the air, roughly."'

run "${L[@]}" -s pipeline.fragile.broken.on_error=continue pipeline fragile --json "why is the sky blue"
expect_rc "on_error = continue: the pipeline goes on" 0
jq_on "on_error = continue: failed, then the next stage runs" "$OUT" '[.stages[].status] == ["ok", "failed", "ok"] and .answer == "Yes, an expert should look at this." and .error == null'

# ---- load errors
PBAD="$CONF/pbad.ini"
{ cat "$INI"; printf '\n[pipeline.bad]\nstages = a\n[pipeline.bad.a]\nprofile = quick\nprompt = about {topic}\n'; } >"$PBAD"
PLINE=$(grep -n '^prompt = about {topic}' "$PBAD" | cut -d: -f1)
mock_reset "$M"
run "$LLMHOST" -c "$PBAD" pipeline bad "q"
expect_rc "an invalid pipeline exits 2" 2
expect_in "an unknown placeholder is reported with FILE:LINE" "$ERR" "$PBAD:$PLINE: pipeline.bad.a: prompt: unknown placeholder {topic}"
jq_on "an invalid pipeline sends nothing" "$(requests "$M")" '.requests | length == 0'
run "${L[@]}" pipeline nosuch "q"
expect_rc "an unknown pipeline exits 2" 2
expect_in "an unknown pipeline names the defined ones" "$ERR" 'unknown pipeline "nosuch"; defined: research, rx, fragile'
run "${L[@]}" pipeline --list --json
jq_on "pipeline --list --json" "$OUT" '[.pipelines[].name] == ["research", "rx", "fragile"] and .pipelines[0].stages[2].when == "stage.classify says yes"'

finish
