#!/bin/bash
# No silent mistakes in a query: a parameter a route does not take is
# refused with 400 unknown_parameter naming it (a typo ?hwclass= used to
# answer the whole fleet), on management, device and hawkBit DDI routes;
# known parameters work as before, and a DDI client's deploymentBase href
# with ?c= still does.
. "$(dirname "$0")/../lib.sh"

start_otad || { fail "otad starts"; finish; }
api POST /v1/devices "$ADMIN" -d '[
	{"device_id":"dev-a","hw_class":"board-a","fw_version":"1.0.0"},
	{"device_id":"dev-b","hw_class":"board-b","fw_version":"1.0.0"}]'
expect_status "two devices of two hw classes" 201
DEV=$(jqb '.devices[0].token')

api GET "/v1/devices?hwclass=board-a" "$ADMIN"
expect_status "the ?hwclass= typo is 400" 400
expect "its code" "$(jqb .error.code)" unknown_parameter
check "it names the parameter and what the route takes" grep -q \
	'unknown query parameter "hwclass"; GET /v1/devices takes hw_class ' \
	<<<"$(jqb .error.message)"
api GET "/v1/devices?hw_class=board-a" "$ADMIN"
expect "?hw_class= filters as before" "$(jqb '[.devices[].device_id] | join(",")')" dev-a
api GET "/v1/devices?hw_class=board-a&foo=1&bar" "$ADMIN"
expect_status "a known one with unknown ones is still 400" 400
check "every unknown one is named" grep -q '"foo", "bar"' <<<"$(jqb .error.message)"
api GET "/v1/devices?limit=1&after=dev-a&tag=x&cohort=y&fw_version=1.0.0" "$ADMIN"
expect_status "the list's other parameters are known" 200
api GET "/v1/devices?" "$ADMIN"
expect_status "an empty query is no parameter" 200
# A value no device can have is a mistake too, not an empty list.
for q in "hw_class=board%20a" "tag=a/b" "cohort=" "fw_version=1.0" "hw_class=board%00a"; do
	api GET "/v1/devices?$q" "$ADMIN"
	expect_status "?$q is 400" 400
	check "... naming ${q%%=*}" grep -q "^${q%%=*}: " <<<"$(jqb .error.message)"
done
api GET "/v1/releases?hw_class=board%20a" "$ADMIN"
expect_status "GET /v1/releases?hw_class=board%20a is 400" 400
api GET "/v1/devices?$(printf 'x%.0s' $(seq 1 300))=1" "$ADMIN"
expect_status "a long unknown name is 400" 400
check "its name is cut in the message" test "$(jqb .error.message | wc -c)" -lt 400
curl -s -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $ADMIN" \
	"$URL/v1/devices?hwclass=x" >"$TMP/head"
expect "HEAD is checked like GET" "$(cat "$TMP/head")" 400

api GET "/v1/releases?hwclass=board-a" "$ADMIN"
expect_status "GET /v1/releases?hwclass= is 400" 400
api GET "/v1/releases?hw_class=board-a&limit=5" "$ADMIN"
expect_status "GET /v1/releases?hw_class= is 200" 200
api GET "/v1/campaigns?status=running" "$ADMIN"
expect_status "GET /v1/campaigns?status= is 400" 400
api GET "/v1/campaigns?state=running" "$ADMIN"
expect_status "GET /v1/campaigns?state= is 200" 200
api GET "/v1/devices/dev-a?verbose=1" "$ADMIN"
expect_status "a route with no parameters refuses any" 400

api POST "/v1/tokens?role=admin" "$ADMIN" -d '{"name":"ci","role":"viewer"}'
expect_status "a write with a query parameter is 400" 400
api GET /v1/tokens "$ADMIN"
expect "and changed nothing" "$(jqb '[.tokens[].name] | join(",")')" admin

api GET "/v1/device/update?fw_version=1.0.0&nonce=nonce-0001&boot_id=b1" "$DEV"
expect_status "the poll's parameters are known" 204
api GET "/v1/device/update?fw=1.0.0&nonce=nonce-0002" "$DEV"
expect_status "a poll with an unknown parameter is 400" 400

T="Authorization: TargetToken $DEV"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "$T" \
	"$URL/DEFAULT/controller/v1/dev-a")
expect "the DDI base answers" "$STATUS" 200
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "$T" \
	"$URL/DEFAULT/controller/v1/dev-a?foo=1")
expect "the DDI base refuses a parameter" "$STATUS" 400
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "$T" \
	"$URL/DEFAULT/controller/v1/dev-a/deploymentBase/1?c=-2129030598&actionHistory=3")
expect "deploymentBase takes any query (hawkBit's ?c= href): 404 for no action, not 400" \
	"$STATUS" 404
finish
