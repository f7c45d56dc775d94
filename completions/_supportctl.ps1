
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'supportctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'supportctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'supportctl' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with your identity provider (--sso), or with a token; store it in the OS keyring')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget a profile, and its stored token unless another profile of the config uses it')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Who am I, on which server, with which token; exit 4 if not usable')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Grant, list, extend and revoke support access (org admins)')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Ask for access and wait (support engineers); approve, deny, review (org admins)')
            [CompletionResult]::new('session', 'session', [CompletionResultType]::ParameterValue, 'Open, use, list and close support sessions (support engineers)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read, follow, verify and checkpoint the org''s audit log (org admins; --vendor: the vendor''s own log, operators)')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Send the org''s events to your endpoints, signed; see and replay deliveries (org admins)')
            [CompletionResult]::new('ticket', 'ticket', [CompletionResultType]::ParameterValue, 'Close a support ticket: the access given for it ends (org admins, services)')
            [CompletionResult]::new('org', 'org', [CompletionResultType]::ParameterValue, 'Create, list and disable orgs (operators); show and set an org''s policy (admins)')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Create, list and disable accounts (operators)')
            [CompletionResult]::new('sso', 'sso', [CompletionResultType]::ParameterValue, 'The identity providers people sign in with: sign-in connectors (operators; an org''s admins for their org)')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'List profiles, switch the default one, show the one in use')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Walk through the whole workflow on a throwaway local server')
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Run the support-access API server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;login' {
            [CompletionResult]::new('--connector', '--connector', [CompletionResultType]::ParameterName, 'The sign-in connector to use [default: the only one; asked on a terminal when there are several]')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Sign in through this org''s own connector (its admins)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--sso', '--sso', [CompletionResultType]::ParameterName, 'Sign in with the identity provider (single sign-on): opens the provider''s page in a browser and waits for the sign-in; the token it yields expires (the server''s --sso-token-ttl)')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Use the device flow: a code to enter on any device with a browser (the connector must offer it)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the URL without opening a browser')
            [CompletionResult]::new('--with-token', '--with-token', [CompletionResultType]::ParameterName, 'Read the token from stdin instead of prompting')
            [CompletionResult]::new('--insecure-storage', '--insecure-storage', [CompletionResultType]::ParameterName, 'Store the token in a plain file (mode 0600) instead of the OS keyring')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Grant the support team access to your org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List grants: an admin sees the org''s, a support engineer those usable by them')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List grants: an admin sees the org''s, a support engineer those usable by them')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one grant')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a grant''s evidence report, each of its audit events proven')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move an active grant''s expiry later')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke grants: their sessions end at once')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Revoke grants: their sessions end at once')
            [CompletionResult]::new('acknowledge', 'acknowledge', [CompletionResultType]::ParameterValue, 'Acknowledge a break-glass grant: you have seen it and accept it')
            [CompletionResult]::new('dispute', 'dispute', [CompletionResultType]::ParameterValue, 'Dispute a break-glass grant: it is revoked at once, its sessions end')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;grant;create' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Access level: read-only, member or admin')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Data areas, comma-separated; `all`: every area the org''s policy allows [default: all]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long the grant lasts, e.g. 30m, 8h, 2d [default: the server''s, 8h]')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'When the grant ends (RFC 3339, e.g. 2026-11-28T17:00:00Z)')
            [CompletionResult]::new('--engineer', '--engineer', [CompletionResultType]::ParameterName, 'A support engineer who may use the grant (repeatable) [default: the whole support team]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why support needs access (required; shown to engineers and in the audit log)')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'Your support case reference')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server what would be created (every check of a real grant), and create nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Which grants')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Which grants')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;show' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;report' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;extend' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How much later the grant should end, e.g. 4h (`--by` is the same)')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'How much later the grant should end, e.g. 4h (`--by` is the same)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'When the grant should end instead (RFC 3339, e.g. 2026-11-28T17:00:00Z), later than now')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server when the grant would end (every check of a real extension), and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;revoke' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (recorded in the audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Revoke every active grant of the org')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server what would be revoked and which sessions would end, and revoke nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;rm' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (recorded in the audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Revoke every active grant of the org')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server what would be revoked and which sessions would end, and revoke nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;acknowledge' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;dispute' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you dispute it (required: the vendor reads it)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;grant;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Grant the support team access to your org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List grants: an admin sees the org''s, a support engineer those usable by them')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one grant')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a grant''s evidence report, each of its audit events proven')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move an active grant''s expiry later')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke grants: their sessions end at once')
            [CompletionResult]::new('acknowledge', 'acknowledge', [CompletionResultType]::ParameterValue, 'Acknowledge a break-glass grant: you have seen it and accept it')
            [CompletionResult]::new('dispute', 'dispute', [CompletionResultType]::ParameterValue, 'Dispute a break-glass grant: it is revoked at once, its sessions end')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;grant;help;create' {
            break
        }
        'supportctl;grant;help;list' {
            break
        }
        'supportctl;grant;help;show' {
            break
        }
        'supportctl;grant;help;report' {
            break
        }
        'supportctl;grant;help;extend' {
            break
        }
        'supportctl;grant;help;revoke' {
            break
        }
        'supportctl;grant;help;acknowledge' {
            break
        }
        'supportctl;grant;help;dispute' {
            break
        }
        'supportctl;grant;help;help' {
            break
        }
        'supportctl;request' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Ask an org''s admins for access (support engineers)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List requests: an admin sees the org''s (pending first), an engineer their own')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List requests: an admin sees the org''s (pending first), an engineer their own')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one request')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a request''s evidence report, each of its audit events proven')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request (org admins); options may narrow it, never widen it')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a pending request (org admins); the engineer reads the comment')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Confirm an engineer''s break-glass request (operators): its grant starts at once')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel one of your own pending requests (support engineers)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for a request''s decision: exit 0 approved, 6 refused, 8 still pending')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'On a terminal, go through the org''s pending requests: approve, deny or skip each')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;request;create' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Access level asked: read-only, member or admin')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Data areas, comma-separated; `all`: every area the org''s policy allows [default: all]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long the grant should last, e.g. 4h [default: the org''s default]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (required; the org''s admins decide on it)')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'Your support case reference (required when the org''s policy says so)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With --wait: how long to wait before exiting 8')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--break-glass', '--break-glass', [CompletionResultType]::ParameterName, 'Break-glass: an emergency request that an operator confirms (`request confirm`) instead of the org''s admins; its grant starts at once, and the org''s admins are alerted. Only when the org''s policy allows it, up to its break-glass level and duration (default: that duration)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the decision (see `request wait`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Which requests')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Which requests')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;show' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;report' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;approve' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Grant a lower level than asked')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Grant fewer areas than asked, comma-separated; `all`: all those asked [default: all]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Grant a shorter time than asked, e.g. 2h')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'A note for the engineer and the audit log')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server what approving would do (every check of a real approval), and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;deny' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Why (required: the engineer reads it)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server whether the request can be denied, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;confirm' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Why you confirm it (recorded in the org''s audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;cancel' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;wait' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait before exiting 8')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;review' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;request;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Ask an org''s admins for access (support engineers)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List requests: an admin sees the org''s (pending first), an engineer their own')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one request')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a request''s evidence report, each of its audit events proven')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request (org admins); options may narrow it, never widen it')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a pending request (org admins); the engineer reads the comment')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Confirm an engineer''s break-glass request (operators): its grant starts at once')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel one of your own pending requests (support engineers)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for a request''s decision: exit 0 approved, 6 refused, 8 still pending')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'On a terminal, go through the org''s pending requests: approve, deny or skip each')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;request;help;create' {
            break
        }
        'supportctl;request;help;list' {
            break
        }
        'supportctl;request;help;show' {
            break
        }
        'supportctl;request;help;report' {
            break
        }
        'supportctl;request;help;approve' {
            break
        }
        'supportctl;request;help;deny' {
            break
        }
        'supportctl;request;help;confirm' {
            break
        }
        'supportctl;request;help;cancel' {
            break
        }
        'supportctl;request;help;wait' {
            break
        }
        'supportctl;request;help;review' {
            break
        }
        'supportctl;request;help;help' {
            break
        }
        'supportctl;session' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a session in an org; prints its token once')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions: your own as a support engineer, the org''s as an admin')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List sessions: your own as a support engineer, the org''s as an admin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one session')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close sessions at once')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Close sessions at once')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Is a session token active, and what may it do? Exit 4 if it is not active')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;session;open' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'The grant to use [default: the narrowest usable grant that covers the request]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Access level, at most the grant''s [default: the grant''s]')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Data areas, a subset of the grant''s; `all`: all the grant''s [default: all]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you open it (required; in the org''s audit log; asked for on a terminal)')
            [CompletionResult]::new('--request-for', '--request-for', [CompletionResultType]::ParameterName, 'With --request: how long the grant asked for should last [default: the org''s]')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'With --request: your support case reference')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With --request: how long to wait for the decision before exiting 8')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'When no usable grant covers the session, ask the org''s admins for one and wait')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;exec' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'The grant to use [default: the narrowest usable grant that covers the request]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Access level, at most the grant''s [default: the grant''s]')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Data areas, a subset of the grant''s; `all`: all the grant''s [default: all]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you open it (required; in the org''s audit log; asked for on a terminal)')
            [CompletionResult]::new('--request-for', '--request-for', [CompletionResultType]::ParameterName, 'With --request: how long the grant asked for should last [default: the org''s]')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'With --request: your support case reference')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With --request: how long to wait for the decision before exiting 8')
            [CompletionResult]::new('--on-end', '--on-end', [CompletionResultType]::ParameterName, 'When the session is revoked, closed or expires: stop the command (SIGTERM, SIGKILL 10 s later, exit 6) or only warn')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'When no usable grant covers the session, ask the org''s admins for one and wait')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Only this org''s sessions (admins: default your org)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'status')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Only this org''s sessions (admins: default your org)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'status')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;show' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;close' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (recorded in the audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;rm' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (recorded in the audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;check' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The session token (prefer stdin or SUPPORTCTL_SESSION_TOKEN: a command line is seen by other users and kept in shell history); `-` reads it from stdin')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;session;help' {
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a session in an org; prints its token once')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions: your own as a support engineer, the org''s as an admin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one session')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close sessions at once')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Is a session token active, and what may it do? Exit 4 if it is not active')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;session;help;open' {
            break
        }
        'supportctl;session;help;exec' {
            break
        }
        'supportctl;session;help;list' {
            break
        }
        'supportctl;session;help;show' {
            break
        }
        'supportctl;session;help;close' {
            break
        }
        'supportctl;session;help;check' {
            break
        }
        'supportctl;session;help;help' {
            break
        }
        'supportctl;audit' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s newest audit events, oldest of them first')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the org''s newest audit events, oldest of them first')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 at the first break, saying where')
            [CompletionResult]::new('verify-report', 'verify-report', [CompletionResultType]::ParameterValue, 'Check an evidence report offline; exit 1 at the first thing that does not hold')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print a checkpoint of the log, signed by the server')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Prove that one event is in the log the server signs now')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print the server''s verifier key, which checks its checkpoints (no login needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;audit;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events since a duration ago (24h) or a time (RFC 3339)')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'Only events with this action, e.g. grant.revoked or access.denied')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Only events about this grant: its own, the session opened on it, the request approved into it')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'Only events about this session: its opening and closing, each access checked in it')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Only events about this access request, and the grant its approval created')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Only events by the account with this email')
            [CompletionResult]::new('--before-seq', '--before-seq', [CompletionResultType]::ParameterName, 'Only events before this one (a `seq`), to look further back than the newest')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'With --follow: first print the last N events, for context')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often --follow asks for new events')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--vendor', '--vendor', [CompletionResultType]::ParameterName, 'The vendor''s own log (operators): accounts outside any org, and orgs themselves')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events since a duration ago (24h) or a time (RFC 3339)')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'Only events with this action, e.g. grant.revoked or access.denied')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Only events about this grant: its own, the session opened on it, the request approved into it')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'Only events about this session: its opening and closing, each access checked in it')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Only events about this access request, and the grant its approval created')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Only events by the account with this email')
            [CompletionResult]::new('--before-seq', '--before-seq', [CompletionResultType]::ParameterName, 'Only events before this one (a `seq`), to look further back than the newest')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'With --follow: first print the last N events, for context')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often --follow asks for new events')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--vendor', '--vendor', [CompletionResultType]::ParameterName, 'The vendor''s own log (operators): accounts outside any org, and orgs themselves')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;verify' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin)')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'A checkpoint from `audit checkpoint`: prove that the log the server signs now extends it, by a consistency proof (its org, or the vendor''s log, is the one checked)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--vendor', '--vendor', [CompletionResultType]::ParameterName, 'The vendor''s own log (operators)')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'With --checkpoint, also read and check the whole log (as without a checkpoint, or with --file), not only the proof')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;verify-report' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;checkpoint' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--vendor', '--vendor', [CompletionResultType]::ParameterName, 'The vendor''s own chain (operators)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;prove' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own]')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--vendor', '--vendor', [CompletionResultType]::ParameterName, 'The vendor''s own chain (operators)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;key' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;audit;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s newest audit events, oldest of them first')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 at the first break, saying where')
            [CompletionResult]::new('verify-report', 'verify-report', [CompletionResultType]::ParameterValue, 'Check an evidence report offline; exit 1 at the first thing that does not hold')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print a checkpoint of the log, signed by the server')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Prove that one event is in the log the server signs now')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print the server''s verifier key, which checks its checkpoints (no login needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;audit;help;list' {
            break
        }
        'supportctl;audit;help;verify' {
            break
        }
        'supportctl;audit;help;verify-report' {
            break
        }
        'supportctl;audit;help;checkpoint' {
            break
        }
        'supportctl;audit;help;prove' {
            break
        }
        'supportctl;audit;help;key' {
            break
        }
        'supportctl;audit;help;help' {
            break
        }
        'supportctl;webhook' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Send the org''s events to a URL; prints the signing secret once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s webhooks')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the org''s webhooks')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one webhook (its secret is never shown again)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a webhook and its pending deliveries')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a webhook and its pending deliveries')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered')
            [CompletionResult]::new('deliveries', 'deliveries', [CompletionResultType]::ParameterValue, 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt')
            [CompletionResult]::new('redeliver', 'redeliver', [CompletionResultType]::ParameterValue, 'Send a delivery''s message again (same webhook-id)')
            [CompletionResult]::new('rotate-secret', 'rotate-secret', [CompletionResultType]::ParameterValue, 'A new signing secret; the old one also signs for 24 hours, unless `--now`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;webhook;add' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Comma-separated event patterns: `*`, `grant.*`, `request.created`, ... [default: *]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, '`standard` (signed Standard Webhooks JSON), `slack` (text for Slack and Teams) or `ocsf` (each audit event as a signed OCSF 1.1.0 event, for a SIEM)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'description')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;show' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;remove' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;rm' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;test' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;deliveries' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'status')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;redeliver' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;rotate-secret' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'End the old secret at once (it leaked) instead of letting it sign for 24 more hours; messages fail to verify until the receiver has the new one')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;webhook;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Send the org''s events to a URL; prints the signing secret once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s webhooks')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one webhook (its secret is never shown again)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a webhook and its pending deliveries')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered')
            [CompletionResult]::new('deliveries', 'deliveries', [CompletionResultType]::ParameterValue, 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt')
            [CompletionResult]::new('redeliver', 'redeliver', [CompletionResultType]::ParameterValue, 'Send a delivery''s message again (same webhook-id)')
            [CompletionResult]::new('rotate-secret', 'rotate-secret', [CompletionResultType]::ParameterValue, 'A new signing secret; the old one also signs for 24 hours, unless `--now`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;webhook;help;add' {
            break
        }
        'supportctl;webhook;help;list' {
            break
        }
        'supportctl;webhook;help;show' {
            break
        }
        'supportctl;webhook;help;remove' {
            break
        }
        'supportctl;webhook;help;test' {
            break
        }
        'supportctl;webhook;help;deliveries' {
            break
        }
        'supportctl;webhook;help;redeliver' {
            break
        }
        'supportctl;webhook;help;rotate-secret' {
            break
        }
        'supportctl;webhook;help;help' {
            break
        }
        'supportctl;ticket' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a ticket: revoke the org''s active grants with it (ending their sessions) and cancel its pending requests, all at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;ticket;close' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, recorded with each cancelled request')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;ticket;help' {
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a ticket: revoke the org''s active grants with it (ending their sessions) and cancel its pending requests, all at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;ticket;help;close' {
            break
        }
        'supportctl;ticket;help;help' {
            break
        }
        'supportctl;org' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List orgs')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List orgs')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an org: its admins are locked out and its open sessions end at once')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Show the org''s own policy, or change it with `set` (org admins)')
            [CompletionResult]::new('rule', 'rule', [CompletionResultType]::ParameterValue, 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Display name [default: the slug]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;ls' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;disable' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;policy' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change the named settings; the others stay as they are')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Show the change waiting for admins'' approvals, if any')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve the pending change (after showing it); the last approval needed applies it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;policy;set' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--max-grant', '--max-grant', [CompletionResultType]::ParameterName, 'Longest grant, e.g. 7d (the server''s own limit still applies)')
            [CompletionResult]::new('--default-grant', '--default-grant', [CompletionResultType]::ParameterName, 'Grant duration when none is asked, e.g. 8h')
            [CompletionResult]::new('--max-session-ttl', '--max-session-ttl', [CompletionResultType]::ParameterName, 'Longest session, e.g. 2h')
            [CompletionResult]::new('--levels', '--levels', [CompletionResultType]::ParameterName, 'Levels that may be granted, comma-separated')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'Data areas that may be granted, comma-separated; `all`: every area')
            [CompletionResult]::new('--require-ticket', '--require-ticket', [CompletionResultType]::ParameterName, 'Grants and requests must name a ticket')
            [CompletionResult]::new('--direct-grants', '--direct-grants', [CompletionResultType]::ParameterName, 'Admins may grant directly (false: only by approving requests)')
            [CompletionResult]::new('--accept-requests', '--accept-requests', [CompletionResultType]::ParameterName, 'Support engineers may file requests')
            [CompletionResult]::new('--approvals', '--approvals', [CompletionResultType]::ParameterName, 'Approvals needed per level, e.g. admin=2,member=1')
            [CompletionResult]::new('--request-ttl', '--request-ttl', [CompletionResultType]::ParameterName, 'How long a request stays pending, e.g. 12h')
            [CompletionResult]::new('--expiry-warning', '--expiry-warning', [CompletionResultType]::ParameterName, 'How long before a grant ends its `grant.expiring` webhooks fire, e.g. 1h (0: never)')
            [CompletionResult]::new('--break-glass', '--break-glass', [CompletionResultType]::ParameterName, 'Break-glass access: an engineer''s emergency request, confirmed by an operator, starts a grant before any admin approves it (turning it on is a weakening: see below)')
            [CompletionResult]::new('--break-glass-level', '--break-glass-level', [CompletionResultType]::ParameterName, 'The highest level a break-glass grant may have')
            [CompletionResult]::new('--break-glass-max', '--break-glass-max', [CompletionResultType]::ParameterName, 'The longest a break-glass grant may last, e.g. 1h (at most 4h)')
            [CompletionResult]::new('--approval-max-auth-age', '--approval-max-auth-age', [CompletionResultType]::ParameterName, 'Approving a request, extending a grant and changing the policy need a sign-in at the identity provider (`supportctl login --sso`) at most this old, e.g. 15m; `none`: no such requirement (dropping or lengthening it is a weakening)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Ask the server what the policy would become (every check of a real change), and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;policy;pending' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;policy;approve' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Approve only if the pending change has this id (as `org policy pending` shows it)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;policy;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change the named settings; the others stay as they are')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Show the change waiting for admins'' approvals, if any')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve the pending change (after showing it); the last approval needed applies it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;policy;help;set' {
            break
        }
        'supportctl;org;policy;help;pending' {
            break
        }
        'supportctl;org;policy;help;approve' {
            break
        }
        'supportctl;org;policy;help;help' {
            break
        }
        'supportctl;org;rule' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s rules (in force, and expired ones not yet removed)')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the org''s rules (in force, and expired ones not yet removed)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a rule, by name or id: from then on it approves nothing')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a rule, by name or id: from then on it approves nothing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;rule;add' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'The highest level it approves: read-only, member or admin')
            [CompletionResult]::new('--areas', '--areas', [CompletionResultType]::ParameterName, 'The data areas it approves, comma-separated; `all`: every area')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'The longest grant it approves, e.g. 2h, 1d')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When it stops approving: a duration from now (30d) or a time (RFC 3339); at most 90 days ahead')
            [CompletionResult]::new('--ticket-pattern', '--ticket-pattern', [CompletionResultType]::ParameterName, 'A regular expression the whole ticket must match [default: any ticket, or none]')
            [CompletionResult]::new('--engineer', '--engineer', [CompletionResultType]::ParameterName, 'Only this support engineer''s requests (repeatable) [default: any engineer]')
            [CompletionResult]::new('--weekdays', '--weekdays', [CompletionResultType]::ParameterName, 'Only on these days (UTC), comma-separated: mon,tue,... [default: every day]')
            [CompletionResult]::new('--hours', '--hours', [CompletionResultType]::ParameterName, 'Only within these hours (UTC), START-END: 8-18 is 08:00 to 17:59; 22-6 spans midnight [default: all day]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;rule;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;rule;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;rule;remove' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;rule;rm' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;org;rule;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s rules (in force, and expired ones not yet removed)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a rule, by name or id: from then on it approves nothing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;rule;help;add' {
            break
        }
        'supportctl;org;rule;help;list' {
            break
        }
        'supportctl;org;rule;help;remove' {
            break
        }
        'supportctl;org;rule;help;help' {
            break
        }
        'supportctl;org;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List orgs')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an org: its admins are locked out and its open sessions end at once')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Show the org''s own policy, or change it with `set` (org admins)')
            [CompletionResult]::new('rule', 'rule', [CompletionResultType]::ParameterValue, 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;org;help;create' {
            break
        }
        'supportctl;org;help;list' {
            break
        }
        'supportctl;org;help;disable' {
            break
        }
        'supportctl;org;help;policy' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change the named settings; the others stay as they are')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Show the change waiting for admins'' approvals, if any')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve the pending change (after showing it); the last approval needed applies it')
            break
        }
        'supportctl;org;help;policy;set' {
            break
        }
        'supportctl;org;help;policy;pending' {
            break
        }
        'supportctl;org;help;policy;approve' {
            break
        }
        'supportctl;org;help;rule' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s rules (in force, and expired ones not yet removed)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a rule, by name or id: from then on it approves nothing')
            break
        }
        'supportctl;org;help;rule;add' {
            break
        }
        'supportctl;org;help;rule;list' {
            break
        }
        'supportctl;org;help;rule;remove' {
            break
        }
        'supportctl;org;help;help' {
            break
        }
        'supportctl;account' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account; prints its token once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List accounts')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: its token stops working and its open sessions end at once')
            [CompletionResult]::new('rotate-token', 'rotate-token', [CompletionResultType]::ParameterValue, 'Replace an account''s token; the old one stops working at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;account;create' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'role')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org an admin administers (admins only)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;account;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;account;ls' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all, however many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;account;disable' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;account;rotate-token' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;account;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account; prints its token once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: its token stops working and its open sessions end at once')
            [CompletionResult]::new('rotate-token', 'rotate-token', [CompletionResultType]::ParameterValue, 'Replace an account''s token; the old one stops working at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;account;help;create' {
            break
        }
        'supportctl;account;help;list' {
            break
        }
        'supportctl;account;help;disable' {
            break
        }
        'supportctl;account;help;rotate-token' {
            break
        }
        'supportctl;account;help;help' {
            break
        }
        'supportctl;sso' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('connector', 'connector', [CompletionResultType]::ParameterValue, 'Add, list, show and remove sign-in connectors: the vendor''s (operators) or an org''s (its admins, with --org)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;sso;connector' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a connector: the identity provider''s issuer, the client registered there, and the rules that give roles')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connectors')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the connectors')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connector (never its client secret)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a connector; sign-ins in progress through it end')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a connector; sign-ins in progress through it end')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;sso;connector;add' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'The provider''s issuer URL, exactly as its ID tokens say it (Okta: https://ORG.okta.com or its authorization server; Entra ID: https://login.microsoftonline.com/TENANT/v2.0; Keycloak: https://HOST/realms/REALM)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The client (application) id registered at the provider')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'A rule CLAIM=VALUE:ROLE: whoever''s ID token has VALUE in CLAIM (a string equal to it, or a list holding it) gets ROLE; the first matching rule wins. Repeat for several')
            [CompletionResult]::new('--scopes', '--scopes', [CompletionResultType]::ParameterName, 'Comma-separated scopes to ask for [default: openid,email,profile,groups]')
            [CompletionResult]::new('--flows', '--flows', [CompletionResultType]::ParameterName, 'Comma-separated flows it offers: browser, device [default: browser]')
            [CompletionResult]::new('--email-domains', '--email-domains', [CompletionResultType]::ParameterName, 'Comma-separated email domains it accepts (others are refused)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--provision', '--provision', [CompletionResultType]::ParameterName, 'Create an account at first sign-in for someone who has none (a support engineer, or an admin of the org); never an operator')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;list' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;ls' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;show' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;remove' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;rm' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;sso;connector;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a connector: the identity provider''s issuer, the client registered there, and the rules that give roles')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connectors')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connector (never its client secret)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a connector; sign-ins in progress through it end')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;sso;connector;help;add' {
            break
        }
        'supportctl;sso;connector;help;list' {
            break
        }
        'supportctl;sso;connector;help;show' {
            break
        }
        'supportctl;sso;connector;help;remove' {
            break
        }
        'supportctl;sso;connector;help;help' {
            break
        }
        'supportctl;sso;help' {
            [CompletionResult]::new('connector', 'connector', [CompletionResultType]::ParameterValue, 'Add, list, show and remove sign-in connectors: the vendor''s (operators) or an org''s (its admins, with --org)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;sso;help;connector' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a connector: the identity provider''s issuer, the client registered there, and the rules that give roles')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connectors')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connector (never its client secret)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a connector; sign-ins in progress through it end')
            break
        }
        'supportctl;sso;help;connector;add' {
            break
        }
        'supportctl;sso;help;connector;list' {
            break
        }
        'supportctl;sso;help;connector;show' {
            break
        }
        'supportctl;sso;help;connector;remove' {
            break
        }
        'supportctl;sso;help;help' {
            break
        }
        'supportctl;profile' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; `*` marks the one in use')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the profiles; `*` marks the one in use')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default for later commands (and set its default org)')
            [CompletionResult]::new('current', 'current', [CompletionResultType]::ParameterValue, 'Print the profile in use, and why (flag, environment or config)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;profile;list' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;profile;ls' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;profile;use' {
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Also make ORG this profile''s default org (an empty value clears it)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;profile;current' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;profile;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; `*` marks the one in use')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default for later commands (and set its default org)')
            [CompletionResult]::new('current', 'current', [CompletionResultType]::ParameterValue, 'Print the profile in use, and why (flag, environment or config)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;profile;help;list' {
            break
        }
        'supportctl;profile;help;use' {
            break
        }
        'supportctl;profile;help;current' {
            break
        }
        'supportctl;profile;help;help' {
            break
        }
        'supportctl;completion' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;demo' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on; port 0 picks a free port (the bound address is logged)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--max-grant-duration', '--max-grant-duration', [CompletionResultType]::ParameterName, 'Longest grant an admin may create or extend to')
            [CompletionResult]::new('--default-grant-duration', '--default-grant-duration', [CompletionResultType]::ParameterName, 'Grant duration when the admin gives none')
            [CompletionResult]::new('--max-session-ttl', '--max-session-ttl', [CompletionResultType]::ParameterName, 'Longest session a support engineer may open')
            [CompletionResult]::new('--default-session-ttl', '--default-session-ttl', [CompletionResultType]::ParameterName, 'Session lifetime when the engineer gives none')
            [CompletionResult]::new('--max-sessions-per-engineer', '--max-sessions-per-engineer', [CompletionResultType]::ParameterName, 'Sessions one support engineer may have active at once, across all orgs: a stolen engineer token cannot flood an org with sessions')
            [CompletionResult]::new('--db-max-connections', '--db-max-connections', [CompletionResultType]::ParameterName, 'Most database connections per server process (on PostgreSQL a quarter of them, at most 8, record authorize decisions; one more listens for notifications)')
            [CompletionResult]::new('--db-min-connections', '--db-min-connections', [CompletionResultType]::ParameterName, 'Connections kept open when idle')
            [CompletionResult]::new('--db-acquire-timeout', '--db-acquire-timeout', [CompletionResultType]::ParameterName, 'How long a request waits for a free database connection before it fails with 503')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Requests taking longer are cut off with 408')
            [CompletionResult]::new('--drain-delay', '--drain-delay', [CompletionResultType]::ParameterName, 'After SIGTERM, keep serving this long while /readyz answers 503, so load balancers stop sending requests before the server stops accepting them (SIGINT skips it)')
            [CompletionResult]::new('--shutdown-timeout', '--shutdown-timeout', [CompletionResultType]::ParameterName, 'Then give requests in flight this long to finish before closing their connections')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this PEM certificate chain (needs --tls-key)')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The PEM private key of --tls-cert')
            [CompletionResult]::new('--auth-failures-per-minute', '--auth-failures-per-minute', [CompletionResultType]::ParameterName, 'Bad tokens a client address may present per minute before it gets 429 (0: no limit)')
            [CompletionResult]::new('--client-address-header', '--client-address-header', [CompletionResultType]::ParameterName, 'Count failures by the client address a load balancer in front puts in this header (e.g. X-Forwarded-For; its right-most address), not by the balancer''s own. Set it only when every request comes through that balancer')
            [CompletionResult]::new('--account-requests-per-minute', '--account-requests-per-minute', [CompletionResultType]::ParameterName, 'Access requests one account may file per minute, refused ones included, after a burst of 10 seconds'' worth; more get 429 with Retry-After (0: no limit). Each server process counts on its own')
            [CompletionResult]::new('--account-sessions-per-minute', '--account-sessions-per-minute', [CompletionResultType]::ParameterName, 'Sessions one account may try to open per minute, refused ones included, after a burst of 10 seconds'' worth; more get 429 with Retry-After (0: no limit). Each server process counts on its own')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most client connections open at once; more wait in the kernel''s queue until one closes. Each holds a file descriptor: the default stays well under the usual limit of 1024 open files per process, leaving room for database connections. Raise `ulimit -n` first to go higher')
            [CompletionResult]::new('--reserved-connections', '--reserved-connections', [CompletionResultType]::ParameterName, 'Connection slots only authenticated callers may hold [default: a quarter of --max-connections]. A connection counts as authenticated once a request on it presents a valid token; the others share the rest, and when that is full the oldest of them is closed to make room for a new connection (never one younger than a second)')
            [CompletionResult]::new('--max-connections-per-address', '--max-connections-per-address', [CompletionResultType]::ParameterName, 'Unauthenticated connections one client address (IPv6: its /64) may hold at once; a new one beyond that closes the address''s oldest (0: no bound). Not applied with --client-address-header, where every connection comes from the balancer')
            [CompletionResult]::new('--write-timeout', '--write-timeout', [CompletionResultType]::ParameterName, 'A connection whose response waits this long without the client taking a byte of it (an HTTP/2 window of zero, a client that does not read) is closed')
            [CompletionResult]::new('--unauthenticated-connection-lifetime', '--unauthenticated-connection-lifetime', [CompletionResultType]::ParameterName, 'An unauthenticated connection is closed after this long, in use or not (a request with a valid token lifts this for its connection)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--expiry-warning', '--expiry-warning', [CompletionResultType]::ParameterName, 'How long before a grant expires its `grant.expiring` webhook notification goes out, in orgs whose policy does not set its own (the default of the policy''s expiry warning)')
            [CompletionResult]::new('--webhook-poll-interval', '--webhook-poll-interval', [CompletionResultType]::ParameterName, 'How often this server looks at the webhook outbox when nothing woke it (deliveries enqueued on this server, or announced by another PostgreSQL replica, wake it at once)')
            [CompletionResult]::new('--webhook-concurrency', '--webhook-concurrency', [CompletionResultType]::ParameterName, 'Webhook attempts this server makes at once; 0: none (other replicas deliver)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Also serve /metrics, and nothing else, on this address without a token (for Prometheus): meant for loopback or a private network, since whoever reaches it reads the metrics. On --listen, /metrics needs an operator or service token')
            [CompletionResult]::new('--sweep-interval', '--sweep-interval', [CompletionResultType]::ParameterName, 'How often expiries are recorded in the audit log')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'The URL under which people''s browsers reach this server: identity providers send them back to <URL>/v1/auth/callback after a sign-in (register that as the redirect URI). Default: the listen address when it is loopback; otherwise needed before a sign-in connector can be added')
            [CompletionResult]::new('--sso-token-ttl', '--sso-token-ttl', [CompletionResultType]::ParameterName, 'How long an account token from a sign-in (`supportctl login --sso`) stays valid')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text for people, or as one JSON object per line for log collectors')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--dev', '--dev', [CompletionResultType]::ParameterName, 'Start a throwaway local server with org `acme` and one account per role, print `export` lines for their tokens on stdout, and leave profiles dev-admin, dev-support, dev-operator and dev-service (tokens in the OS keyring)')
            [CompletionResult]::new('--insecure-storage', '--insecure-storage', [CompletionResultType]::ParameterName, 'With --dev: keep the dev profiles'' tokens in a file readable only by you, not in the OS keyring (where there is none)')
            [CompletionResult]::new('--allow-http-webhooks', '--allow-http-webhooks', [CompletionResultType]::ParameterName, 'Let webhooks use http:// URLs (implied by --dev)')
            [CompletionResult]::new('--allow-private-webhooks', '--allow-private-webhooks', [CompletionResultType]::ParameterName, 'Let webhooks reach loopback, private, link-local, unique-local and other addresses that are not globally routable (implied by --dev). Without it, each attempt checks the address the URL''s host resolves to')
            [CompletionResult]::new('--no-metrics-recording', '--no-metrics-recording', [CompletionResultType]::ParameterName, 'Record no metrics: counters stay at zero and requests are not timed (the benchmark''s baseline)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the schema and the first operator account; prints its token once')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy a SQLite database consistently while its server keeps serving it')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify every audit chain from the database itself, no server needed')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the settings a server would use (each option''s value and where it came from: flag, environment, config file and line, or default), without starting one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;server;init' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Email of the first operator')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;migrate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Only list the migrations this binary would apply (version and name), applying none; exit 0 when there are none, 1 when there are some (for scripts)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;backup' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The file to write (mode 0600; written under another name, then renamed)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE when it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;restore' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a database that holds orgs or accounts')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;verify' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;config' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none')
            [CompletionResult]::new('--signing-key', '--signing-key', [CompletionResultType]::ParameterName, 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile in config.toml to use')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL, overriding the profile''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a server with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as `-o json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only IDs (or only the token, for `session open`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Assume yes at every confirmation')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail instead when something is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail on stderr: -v debug (each request''s method and path, never headers or bodies), -vv trace')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending tokens over plain http:// to hosts other than this machine')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'supportctl;server;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the schema and the first operator account; prints its token once')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy a SQLite database consistently while its server keeps serving it')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify every audit chain from the database itself, no server needed')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the settings a server would use (each option''s value and where it came from: flag, environment, config file and line, or default), without starting one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;server;help;init' {
            break
        }
        'supportctl;server;help;migrate' {
            break
        }
        'supportctl;server;help;backup' {
            break
        }
        'supportctl;server;help;restore' {
            break
        }
        'supportctl;server;help;verify' {
            break
        }
        'supportctl;server;help;config' {
            break
        }
        'supportctl;server;help;help' {
            break
        }
        'supportctl;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with your identity provider (--sso), or with a token; store it in the OS keyring')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget a profile, and its stored token unless another profile of the config uses it')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Who am I, on which server, with which token; exit 4 if not usable')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Grant, list, extend and revoke support access (org admins)')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Ask for access and wait (support engineers); approve, deny, review (org admins)')
            [CompletionResult]::new('session', 'session', [CompletionResultType]::ParameterValue, 'Open, use, list and close support sessions (support engineers)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read, follow, verify and checkpoint the org''s audit log (org admins; --vendor: the vendor''s own log, operators)')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Send the org''s events to your endpoints, signed; see and replay deliveries (org admins)')
            [CompletionResult]::new('ticket', 'ticket', [CompletionResultType]::ParameterValue, 'Close a support ticket: the access given for it ends (org admins, services)')
            [CompletionResult]::new('org', 'org', [CompletionResultType]::ParameterValue, 'Create, list and disable orgs (operators); show and set an org''s policy (admins)')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Create, list and disable accounts (operators)')
            [CompletionResult]::new('sso', 'sso', [CompletionResultType]::ParameterValue, 'The identity providers people sign in with: sign-in connectors (operators; an org''s admins for their org)')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'List profiles, switch the default one, show the one in use')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Walk through the whole workflow on a throwaway local server')
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Run the support-access API server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'supportctl;help;login' {
            break
        }
        'supportctl;help;logout' {
            break
        }
        'supportctl;help;status' {
            break
        }
        'supportctl;help;grant' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Grant the support team access to your org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List grants: an admin sees the org''s, a support engineer those usable by them')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one grant')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a grant''s evidence report, each of its audit events proven')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move an active grant''s expiry later')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke grants: their sessions end at once')
            [CompletionResult]::new('acknowledge', 'acknowledge', [CompletionResultType]::ParameterValue, 'Acknowledge a break-glass grant: you have seen it and accept it')
            [CompletionResult]::new('dispute', 'dispute', [CompletionResultType]::ParameterValue, 'Dispute a break-glass grant: it is revoked at once, its sessions end')
            break
        }
        'supportctl;help;grant;create' {
            break
        }
        'supportctl;help;grant;list' {
            break
        }
        'supportctl;help;grant;show' {
            break
        }
        'supportctl;help;grant;report' {
            break
        }
        'supportctl;help;grant;extend' {
            break
        }
        'supportctl;help;grant;revoke' {
            break
        }
        'supportctl;help;grant;acknowledge' {
            break
        }
        'supportctl;help;grant;dispute' {
            break
        }
        'supportctl;help;request' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Ask an org''s admins for access (support engineers)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List requests: an admin sees the org''s (pending first), an engineer their own')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one request')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a request''s evidence report, each of its audit events proven')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request (org admins); options may narrow it, never widen it')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a pending request (org admins); the engineer reads the comment')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Confirm an engineer''s break-glass request (operators): its grant starts at once')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel one of your own pending requests (support engineers)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for a request''s decision: exit 0 approved, 6 refused, 8 still pending')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'On a terminal, go through the org''s pending requests: approve, deny or skip each')
            break
        }
        'supportctl;help;request;create' {
            break
        }
        'supportctl;help;request;list' {
            break
        }
        'supportctl;help;request;show' {
            break
        }
        'supportctl;help;request;report' {
            break
        }
        'supportctl;help;request;approve' {
            break
        }
        'supportctl;help;request;deny' {
            break
        }
        'supportctl;help;request;confirm' {
            break
        }
        'supportctl;help;request;cancel' {
            break
        }
        'supportctl;help;request;wait' {
            break
        }
        'supportctl;help;request;review' {
            break
        }
        'supportctl;help;session' {
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open a session in an org; prints its token once')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions: your own as a support engineer, the org''s as an admin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one session')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close sessions at once')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Is a session token active, and what may it do? Exit 4 if it is not active')
            break
        }
        'supportctl;help;session;open' {
            break
        }
        'supportctl;help;session;exec' {
            break
        }
        'supportctl;help;session;list' {
            break
        }
        'supportctl;help;session;show' {
            break
        }
        'supportctl;help;session;close' {
            break
        }
        'supportctl;help;session;check' {
            break
        }
        'supportctl;help;audit' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s newest audit events, oldest of them first')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 at the first break, saying where')
            [CompletionResult]::new('verify-report', 'verify-report', [CompletionResultType]::ParameterValue, 'Check an evidence report offline; exit 1 at the first thing that does not hold')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print a checkpoint of the log, signed by the server')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Prove that one event is in the log the server signs now')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print the server''s verifier key, which checks its checkpoints (no login needed)')
            break
        }
        'supportctl;help;audit;list' {
            break
        }
        'supportctl;help;audit;verify' {
            break
        }
        'supportctl;help;audit;verify-report' {
            break
        }
        'supportctl;help;audit;checkpoint' {
            break
        }
        'supportctl;help;audit;prove' {
            break
        }
        'supportctl;help;audit;key' {
            break
        }
        'supportctl;help;webhook' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Send the org''s events to a URL; prints the signing secret once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s webhooks')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one webhook (its secret is never shown again)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a webhook and its pending deliveries')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered')
            [CompletionResult]::new('deliveries', 'deliveries', [CompletionResultType]::ParameterValue, 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt')
            [CompletionResult]::new('redeliver', 'redeliver', [CompletionResultType]::ParameterValue, 'Send a delivery''s message again (same webhook-id)')
            [CompletionResult]::new('rotate-secret', 'rotate-secret', [CompletionResultType]::ParameterValue, 'A new signing secret; the old one also signs for 24 hours, unless `--now`')
            break
        }
        'supportctl;help;webhook;add' {
            break
        }
        'supportctl;help;webhook;list' {
            break
        }
        'supportctl;help;webhook;show' {
            break
        }
        'supportctl;help;webhook;remove' {
            break
        }
        'supportctl;help;webhook;test' {
            break
        }
        'supportctl;help;webhook;deliveries' {
            break
        }
        'supportctl;help;webhook;redeliver' {
            break
        }
        'supportctl;help;webhook;rotate-secret' {
            break
        }
        'supportctl;help;ticket' {
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close a ticket: revoke the org''s active grants with it (ending their sessions) and cancel its pending requests, all at once')
            break
        }
        'supportctl;help;ticket;close' {
            break
        }
        'supportctl;help;org' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an org')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List orgs')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an org: its admins are locked out and its open sessions end at once')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Show the org''s own policy, or change it with `set` (org admins)')
            [CompletionResult]::new('rule', 'rule', [CompletionResultType]::ParameterValue, 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)')
            break
        }
        'supportctl;help;org;create' {
            break
        }
        'supportctl;help;org;list' {
            break
        }
        'supportctl;help;org;disable' {
            break
        }
        'supportctl;help;org;policy' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change the named settings; the others stay as they are')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Show the change waiting for admins'' approvals, if any')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve the pending change (after showing it); the last approval needed applies it')
            break
        }
        'supportctl;help;org;policy;set' {
            break
        }
        'supportctl;help;org;policy;pending' {
            break
        }
        'supportctl;help;org;policy;approve' {
            break
        }
        'supportctl;help;org;rule' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the org''s rules (in force, and expired ones not yet removed)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a rule, by name or id: from then on it approves nothing')
            break
        }
        'supportctl;help;org;rule;add' {
            break
        }
        'supportctl;help;org;rule;list' {
            break
        }
        'supportctl;help;org;rule;remove' {
            break
        }
        'supportctl;help;account' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account; prints its token once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: its token stops working and its open sessions end at once')
            [CompletionResult]::new('rotate-token', 'rotate-token', [CompletionResultType]::ParameterValue, 'Replace an account''s token; the old one stops working at once')
            break
        }
        'supportctl;help;account;create' {
            break
        }
        'supportctl;help;account;list' {
            break
        }
        'supportctl;help;account;disable' {
            break
        }
        'supportctl;help;account;rotate-token' {
            break
        }
        'supportctl;help;sso' {
            [CompletionResult]::new('connector', 'connector', [CompletionResultType]::ParameterValue, 'Add, list, show and remove sign-in connectors: the vendor''s (operators) or an org''s (its admins, with --org)')
            break
        }
        'supportctl;help;sso;connector' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a connector: the identity provider''s issuer, the client registered there, and the rules that give roles')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the connectors')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one connector (never its client secret)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a connector; sign-ins in progress through it end')
            break
        }
        'supportctl;help;sso;connector;add' {
            break
        }
        'supportctl;help;sso;connector;list' {
            break
        }
        'supportctl;help;sso;connector;show' {
            break
        }
        'supportctl;help;sso;connector;remove' {
            break
        }
        'supportctl;help;profile' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; `*` marks the one in use')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default for later commands (and set its default org)')
            [CompletionResult]::new('current', 'current', [CompletionResultType]::ParameterValue, 'Print the profile in use, and why (flag, environment or config)')
            break
        }
        'supportctl;help;profile;list' {
            break
        }
        'supportctl;help;profile;use' {
            break
        }
        'supportctl;help;profile;current' {
            break
        }
        'supportctl;help;completion' {
            break
        }
        'supportctl;help;demo' {
            break
        }
        'supportctl;help;server' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the schema and the first operator account; prints its token once')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy a SQLite database consistently while its server keeps serving it')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify every audit chain from the database itself, no server needed')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the settings a server would use (each option''s value and where it came from: flag, environment, config file and line, or default), without starting one')
            break
        }
        'supportctl;help;server;init' {
            break
        }
        'supportctl;help;server;migrate' {
            break
        }
        'supportctl;help;server;backup' {
            break
        }
        'supportctl;help;server;restore' {
            break
        }
        'supportctl;help;server;verify' {
            break
        }
        'supportctl;help;server;config' {
            break
        }
        'supportctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
