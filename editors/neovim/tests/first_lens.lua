-- Time to the first lens (tests/editors/test_neovim_first_lens.py drives it):
--   VJEPA_REPO=<git workspace> VJEPA_FILE=<file to open> VJEPA_OUT=<json file> VJEPA_INDEX=<index dir>
--   VJEPA_CMD=<json list> nvim --headless --clean -u editors/neovim/tests/first_lens.lua
-- Consent is given as the server starts (trustWorkspace); from then on nothing is waited for but the
-- lenses the plugin shows by itself. Records the milliseconds to the first "Related:" lens.
local here = debug.getinfo(1, 'S').source:sub(2)
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ':p:h:h'))
vim.notify = function() end

local out = assert(os.getenv('VJEPA_OUT'), 'VJEPA_OUT is not set')
local report = {}
local function save()
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local ok, err = pcall(function()
  local vjepa = require('vjepa')
  local t0 = vim.loop.hrtime()
  vjepa.setup({
    cmd = vim.fn.json_decode((assert(os.getenv('VJEPA_CMD'), 'VJEPA_CMD is not set'))),
    init_options = { trustWorkspace = true, indexDir = os.getenv('VJEPA_INDEX'), kindMessages = false },
  })
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('VJEPA_REPO') .. '/' .. os.getenv('VJEPA_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()
  local function related()
    for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
      if lens.command and lens.command.title:find('^Related: ') then
        return lens.command.title
      end
    end
  end
  if not vim.wait(120000, function() return related() ~= nil end, 50) then
    error('no Related lens within 120 s')
  end
  report.ms = (vim.loop.hrtime() - t0) / 1e6
  report.title = related()
end)
if not ok then
  report.error = tostring(err)
end
save()
vim.cmd('qa!')
