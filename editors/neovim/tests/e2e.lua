-- Headless end-to-end run of the plugin against the real `vjepa-lsp` (tests/test_neovim.py drives it):
--   VJEPA_REPO=<git workspace> VJEPA_OUT=<json file> VJEPA_INDEX=<index dir> VJEPA_CMD=<json list>
--   nvim --headless --clean -u editors/neovim/tests/e2e.lua
-- Opens calc.py, waits for the index, then records what each feature shows into VJEPA_OUT. Only the
-- editor's UI (vim.ui.select, vim.notify) is replaced, by recorders that pick the first item.
local here = debug.getinfo(1, 'S').source:sub(2)
local plugin = vim.fn.fnamemodify(here, ':p:h:h')
vim.opt.runtimepath:prepend(plugin)

local repo = assert(os.getenv('VJEPA_REPO'), 'VJEPA_REPO is not set')
local out = assert(os.getenv('VJEPA_OUT'), 'VJEPA_OUT is not set')
local report = { nvim = vim.version(), steps = {}, notes = {} }

local function save()
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local picks = {}
vim.ui.select = function(items, opts, on_choice)
  local shown = {}
  for _, item in ipairs(items) do
    table.insert(shown, opts.format_item and opts.format_item(item) or tostring(item))
  end
  table.insert(picks, { prompt = opts.prompt, items = shown })
  on_choice(items[1], 1)
end
vim.notify = function(msg, level)
  table.insert(report.notes, { msg = msg, level = level })
end

local function wait(ms, condition, what)
  if not vim.wait(ms, condition, 50) then
    error('timed out waiting for ' .. what)
  end
end

local function current()
  local cursor = vim.api.nvim_win_get_cursor(0)
  return { file = vim.api.nvim_buf_get_name(0), line = cursor[1] }
end

-- Runs an Ex command that ends in vim.ui.select (or a note) and records what was offered and opened.
local function step(name, ex)
  local before_picks, before_notes, before_file = #picks, #report.notes, vim.api.nvim_buf_get_name(0)
  vim.cmd(ex)
  wait(20000, function()
    return #picks > before_picks or #report.notes > before_notes or vim.api.nvim_buf_get_name(0) ~= before_file
  end, name)
  report.steps[name] = { pick = picks[before_picks + 1], opened = current(), note = report.notes[before_notes + 1] }
end

local function main()
  local vjepa = require('vjepa')
  vjepa.setup({
    cmd = vim.fn.json_decode((assert(os.getenv('VJEPA_CMD'), 'VJEPA_CMD is not set'))),
    init_options = { trustWorkspace = true, indexDir = os.getenv('VJEPA_INDEX'), kindMessages = false },
  })
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/calc.py'))
  local bufnr = vim.api.nvim_get_current_buf()
  wait(20000, function() return vjepa.client(bufnr) ~= nil end, 'the client to attach')
  local client = vjepa.client(bufnr)
  report.root_dir = client.config.root_dir
  report.server_commands = (client.server_capabilities.executeCommandProvider or {}).commands

  -- The index is ready when vjepa.status says so.
  local status
  wait(60000, function()
    local response = client.request_sync('workspace/executeCommand',
      { command = 'vjepa.status', arguments = {} }, 5000, bufnr)
    status = response and response.result
    return status and status.folders and status.folders[1] and status.folders[1].indexed
  end, 'the index')
  report.status = status

  -- Lenses come by themselves: the plugin asks again when vjepa/status turns idle.
  wait(10000, function() return #vim.lsp.codelens.get(bufnr) > 0 end, 'code lenses')
  report.lenses = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
    table.insert(report.lenses, { title = lens.command.title, line = lens.range.start.line,
                                  arguments = lens.command.arguments })
  end

  -- Running the "Related:" lens opens its file (client-side vjepa.open, no showDocument needed).
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  step('lens', 'lua vim.lsp.codelens.run()')

  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/calc.py'))
  step('related', 'VjepaRelated')
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/calc.py'))
  step('search', 'VjepaSearch multiply numbers')
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/calc.py'))
  step('next', 'VjepaNext')
  step('status', 'VjepaStatus')
  report.statusline = vjepa.statusline()
  -- :VjepaTrain's sentence, from the result shape vjepa.trainNow returns (training itself is tested
  -- through the VS Code client, to keep this run short).
  report.training = vjepa.describe_training({ { root = repo, steps = 2, seconds = 1.234,
                                                model = { name = 'workspace', version = 'abcdef0123456789' } } })

  -- A file outside every workspace gets no server.
  local outside = os.getenv('VJEPA_OUTSIDE')
  if outside then
    vim.cmd('edit ' .. vim.fn.fnameescape(outside))
    vim.wait(300)
    report.outside_clients = #vim.tbl_keys(vim.lsp.buf_get_clients(0))
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = err
end
save()
vim.cmd('qa!')
