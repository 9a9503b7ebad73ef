-- VJEPA Swarm for Neovim: starts `vjepa-lsp` for every buffer inside a workspace (a folder with a
-- root marker such as .git), keeps the "Related:" code lenses fresh, and adds :VjepaRelated,
-- :VjepaNext, :VjepaSearch, :VjepaTrain and :VjepaStatus. Works from Neovim 0.7
-- (vim.lsp.start_client + buf_attach_client) to current (vim.lsp.start). The client holds no
-- product logic: every answer comes from the server.
local M = {}

local defaults = {
  cmd = { 'vjepa-lsp' },
  root_markers = { '.git', '.vjepaignore' },
  -- Sent as initializationOptions; the server documents each key.
  init_options = {},
  -- Events that ask the server for lenses again (Neovim <= 0.10 never asks by itself).
  lens_events = { 'BufEnter', 'InsertLeave', 'BufWritePost' },
  -- Called with (client, bufnr) after the client attaches to a buffer.
  on_attach = nil,
}

M.config = vim.deepcopy(defaults)
M.clients = {} -- root dir -> client id (the Neovim 0.7 path; vim.lsp.start reuses clients itself)
M.last_status = nil -- the latest vjepa/status notification, for statuslines

local uv = vim.uv or vim.loop
local has = function(feature) return vim.fn.has(feature) == 1 end

-- Nearest folder above `path` holding one of the root markers, or nil.
function M.root_dir(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while dir and dir ~= '' do
    for _, marker in ipairs(M.config.root_markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
  return nil
end

local function get_client(id)
  return vim.lsp.get_client_by_id(id)
end

-- The vjepa client attached to `bufnr` (or the first running one), or nil.
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local fallback
  for _, client in ipairs(get()) do
    if client.name == 'vjepa' then
      if client.attached_buffers and client.attached_buffers[bufnr] then
        return client
      end
      fallback = fallback or client
    end
  end
  return fallback
end

local function request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- Runs a server command; `callback(result)` gets the result, errors are said plainly.
function M.execute(name, arguments, callback, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    vim.notify('VJEPA: no server for this buffer (is it inside a git workspace?)', vim.log.levels.WARN)
    return
  end
  request(client, 'workspace/executeCommand', { command = name, arguments = arguments }, function(err, result)
    if err then
      vim.notify(string.format('VJEPA: %s failed: %s', name, err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    if callback then
      callback(result)
    end
  end, bufnr)
end

local function open(path, line)
  -- A modified buffer cannot be left without 'hidden' (off by default up to 0.8): split instead.
  local how = (vim.bo.modified and not vim.o.hidden) and 'split ' or 'edit '
  vim.cmd(how .. vim.fn.fnameescape(path))
  if line and line > 0 then
    pcall(vim.api.nvim_win_set_cursor, 0, { line, 0 })
  end
end

-- Absolute path of a result, relative paths taken against the client's root.
local function absolute(path, bufnr)
  if path:sub(1, 1) == '/' or path:match('^%a:[/\\]') then
    return path
  end
  local client = M.client(bufnr)
  local root = client and client.config.root_dir or vim.fn.getcwd()
  return root .. '/' .. path
end

-- One line per result: "tests/test_calc.py  temporal: changed together in 3 commits".
function M.format_item(item)
  local where = item.path
  if item.name and item.name ~= '' then
    where = string.format('%s:%s %s', item.path, item.line or 1, item.name)
  end
  local why = item.reason or ''
  if item.detail and item.detail ~= '' then
    why = why .. ': ' .. item.detail
  end
  return string.format('%s  %s', where, why)
end

-- Lets the user pick one of `results` with vim.ui.select; the choice is opened.
function M.pick(results, prompt, bufnr)
  if type(results) == 'table' and results.results then
    results = results.results
  end
  if type(results) ~= 'table' or vim.tbl_isempty(results) then
    vim.notify('VJEPA: nothing yet for ' .. prompt:lower() .. ' (still learning?)', vim.log.levels.INFO)
    return
  end
  vim.ui.select(results, { prompt = prompt, format_item = M.format_item, kind = 'vjepa' }, function(choice)
    if choice then
      open(absolute(choice.path, bufnr), choice.line)
    end
  end)
end

function M.related(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  M.execute('vjepa.relatedFiles', { vim.uri_from_bufnr(bufnr) }, function(result)
    M.pick(result, 'Related files', bufnr)
  end, bufnr)
end

function M.next(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(bufnr)
  local args = name ~= '' and { vim.uri_from_bufnr(bufnr) } or {}
  M.execute('vjepa.predictNext', args, function(result)
    M.pick(result, 'Next file', bufnr)
  end, bufnr)
end

function M.search(query)
  local function run(q)
    if not q or vim.trim(q) == '' then
      return
    end
    M.execute('vjepa.search', { q }, function(result)
      M.pick(result, 'Search: ' .. q)
    end)
  end
  if query and vim.trim(query) ~= '' then
    run(query)
  else
    vim.ui.input({ prompt = 'VJEPA search: ' }, run)
  end
end

-- vjepa.trainNow()'s result ({root, steps, seconds, model} per folder) as one sentence.
function M.describe_training(result)
  local parts = {}
  local islist = vim.islist or vim.tbl_islist
  for _, run in ipairs((type(result) == 'table' and islist(result)) and result or { result }) do
    if type(run) == 'table' then
      local text = string.format('%s: %s steps', vim.fn.fnamemodify(run.root or '', ':t'), run.steps or '?')
      if run.seconds then
        text = text .. string.format(' in %.1f s', run.seconds)
      end
      if type(run.model) == 'table' and run.model.version then
        text = text .. ', model ' .. run.model.version:sub(1, 8)
      end
      table.insert(parts, text)
    end
  end
  return #parts > 0 and ('VJEPA: trained ' .. table.concat(parts, '; ') .. '.') or 'VJEPA: nothing to train yet.'
end

-- The server reports the training's progress itself ($/progress, shown by progress plugins).
function M.train()
  M.execute('vjepa.trainNow', {}, function(result)
    vim.notify(M.describe_training(result), vim.log.levels.INFO)
  end)
end

-- One line for a status dict (`vjepa/status` or vjepa.status()):
-- "VJEPA indexing 3/10", "VJEPA training 40%", "VJEPA idle · 4 files · 12 units · model default".
function M.describe(s)
  if type(s) ~= 'table' then
    return ''
  end
  local text = 'VJEPA ' .. tostring(s.state or '?')
  if s.state == 'indexing' and s.total then
    text = string.format('%s %s/%s', text, s.done or 0, s.total)
  elseif s.state == 'training' and s.percentage then
    text = string.format('%s %d%%', text, s.percentage)
  end
  if s.state == 'idle' then
    local files = s.files
    if files == nil and type(s.folders) == 'table' then
      files = 0
      for _, folder in ipairs(s.folders) do
        files = files + (folder.files or 0)
      end
    end
    if files then
      text = string.format('%s · %d files', text, files)
    end
    if s.units then
      text = string.format('%s · %d units', text, s.units)
    end
    if type(s.model) == 'table' and s.model.name and s.model.name ~= 'none' then
      text = text .. ' · model ' .. s.model.name
    end
  end
  return text
end

-- For statuslines: the latest `vjepa/status`, e.g. set statusline+=%{v:lua.require'vjepa'.statusline()}
function M.statusline()
  return M.describe(M.last_status)
end

function M.status()
  M.execute('vjepa.status', {}, function(result)
    vim.notify(M.describe(result), vim.log.levels.INFO)
  end)
end

-- Asks for this buffer's lenses again. Neovim 0.12+ refreshes enabled lenses by itself.
function M.refresh_lenses(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.lsp.codelens.enable or not M.client(bufnr) then
    return
  end
  if bufnr == vim.api.nvim_get_current_buf() then
    vim.lsp.codelens.refresh({ bufnr = bufnr }) -- 0.7-0.9 ignore the argument
  end
end

-- Refresh the visible buffers' lenses (after the index changed).
local function refresh_visible()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    M.refresh_lenses(vim.api.nvim_win_get_buf(win))
  end
end

local group = vim.api.nvim_create_augroup('vjepa', { clear = true })

local function on_attach(client, bufnr)
  if vim.lsp.codelens.enable then
    vim.lsp.codelens.enable(true, { bufnr = bufnr })
  else
    vim.api.nvim_create_autocmd(M.config.lens_events, {
      group = group,
      buffer = bufnr,
      callback = function() M.refresh_lenses(bufnr) end,
    })
    M.refresh_lenses(bufnr)
  end
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

local handlers = {
  ['vjepa/status'] = function(_, params)
    local before = M.last_status and M.last_status.state
    M.last_status = params
    if params and params.state == 'idle' and before ~= 'idle' then
      vim.schedule(refresh_visible) -- the index changed: new lenses
    end
    vim.schedule(function() vim.cmd('redrawstatus') end)
  end,
}

-- Lens clicks open the file here, so Neovim versions without window/showDocument need no server trip.
local commands = {
  ['vjepa.open'] = function(command)
    local path = command.arguments and command.arguments[1]
    if path then
      open(path:match('^file:') and vim.uri_to_fname(path) or path)
    end
  end,
}

-- initializationOptions is a JSON object: an empty Lua table would be sent as [] (the server then
-- logs "initializationOptions should be an object, not []"), so empty options go as vim.empty_dict().
local function init_options()
  local options = M.config.init_options
  if type(options) ~= 'table' or vim.tbl_isempty(options) then
    return vim.empty_dict()
  end
  return options
end

local function client_config(root)
  return {
    name = 'vjepa',
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
    init_options = init_options(),
    handlers = handlers,
    commands = commands,
    on_attach = on_attach,
  }
end

-- Attach the server to `bufnr` when its file lies in a workspace.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].buftype ~= '' then
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a+://') then
    return
  end
  local root = M.root_dir(name)
  if not root then
    return
  end
  if vim.lsp.start then
    vim.lsp.start(client_config(root), { bufnr = bufnr })
    return
  end
  local id = M.clients[root]
  if not id or not get_client(id) then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      return
    end
    M.clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if type(M.config.cmd) == 'string' then
    M.config.cmd = { M.config.cmd }
  end
  vim.api.nvim_clear_autocmds({ group = group, event = { 'BufReadPost', 'BufNewFile' } }) -- setup() twice
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    callback = function(args) M.attach(args.buf) end,
  })
  local function user_command(name, fn, spec)
    vim.api.nvim_create_user_command(name, fn, spec or {})
  end
  user_command('VjepaRelated', function() M.related() end, { desc = 'VJEPA: files related to this one' })
  user_command('VjepaNext', function() M.next() end, { desc = 'VJEPA: the file you will likely open next' })
  user_command('VjepaSearch', function(c) M.search(c.args) end, { nargs = '*', desc = 'VJEPA: semantic search' })
  user_command('VjepaTrain', function() M.train() end, { desc = 'VJEPA: train the model now' })
  user_command('VjepaStatus', function() M.status() end, { desc = 'VJEPA: what the server is doing' })
  -- Buffers opened before setup().
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

return M
