-- Headless run of the plugin's start-up against the real `vjepa-lsp` (tests/editors/test_neovim_options.py):
--   VJEPA_REPO=<git workspace> VJEPA_OUT=<json file> VJEPA_CMD=<json list> [VJEPA_OPTIONS=<json object>]
--   nvim --headless --clean -u editors/neovim/tests/options.lua
-- Calls setup() with VJEPA_OPTIONS as init_options (without it: the defaults), opens a file, waits
-- for the server to ask for consent (it asks after reading its options) and records every
-- window/logMessage the server sent until then. The consent question is left unanswered.
local here = debug.getinfo(1, 'S').source:sub(2)
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ':p:h:h'))

local repo = assert(os.getenv('VJEPA_REPO'), 'VJEPA_REPO is not set')
local out = assert(os.getenv('VJEPA_OUT'), 'VJEPA_OUT is not set')
local report = { logs = {}, asked = false }

local log_message = vim.lsp.handlers['window/logMessage']
vim.lsp.handlers['window/logMessage'] = function(err, params, ctx, config)
  table.insert(report.logs, params.message)
  return log_message(err, params, ctx, config)
end
vim.lsp.handlers['window/showMessageRequest'] = function(_, params)
  report.asked = params.message
  return vim.NIL
end

local function main()
  local opts = { cmd = vim.fn.json_decode((assert(os.getenv('VJEPA_CMD'), 'VJEPA_CMD is not set'))) }
  local options = os.getenv('VJEPA_OPTIONS')
  if options and options ~= '' then
    opts.init_options = vim.fn.json_decode(options)
  end
  require('vjepa').setup(opts)
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/calc.py'))
  if not vim.wait(60000, function() return report.asked ~= false end, 50) then
    error('timed out waiting for the consent question')
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = err
end
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(report))
f:close()
vim.cmd('qa!')
