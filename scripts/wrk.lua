-- wrk request script for scripts/bench.sh.
--   DX_TOKEN         access token (sent as "Authorization: Bearer …")
--   DX_METHOD        HTTP method (default GET)
--   DX_BODY_FILE     file whose bytes are the request body (optional)
--   DX_CONTENT_TYPE  Content-Type of the body (optional)
local token = os.getenv("DX_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.method = os.getenv("DX_METHOD") or "GET"
local body_file = os.getenv("DX_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end
local content_type = os.getenv("DX_CONTENT_TYPE")
if content_type and content_type ~= "" then
  wrk.headers["Content-Type"] = content_type
end
