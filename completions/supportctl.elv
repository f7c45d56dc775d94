
use builtin;
use str;

set edit:completion:arg-completer[supportctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'supportctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'supportctl'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in: check a token with the server and store it in the OS keyring'
            cand logout 'Forget a profile''s stored token'
            cand status 'Who am I, on which server, with which token; exit 4 if not usable'
            cand grant 'Grant, list, extend and revoke support access (org admins)'
            cand session 'Open, use, list and close support sessions (support engineers)'
            cand audit 'Read, follow, verify and checkpoint the org''s audit log (org admins; --vendor: the vendor''s own log, operators)'
            cand webhook 'Send the org''s events to your endpoints, signed; see and replay deliveries (org admins)'
            cand org 'Create, list and disable orgs (operators)'
            cand account 'Create, list and disable accounts (operators)'
            cand completion 'Print a shell completion script'
            cand server 'Run the support-access API server'
            cand demo 'Walk through the whole workflow on a throwaway local server'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;login'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --with-token 'Read the token from stdin instead of prompting'
            cand --insecure-storage 'Store the token in a plain file (mode 0600) instead of the OS keyring'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;logout'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;status'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Grant the support team access to your org'
            cand list 'List grants: an admin sees the org''s, a support engineer those usable by them'
            cand show 'Show one grant'
            cand extend 'Move an active grant''s expiry later'
            cand revoke 'Revoke grants: their sessions end at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;grant;create'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --level 'Access level: read-only, member or admin'
            cand --areas 'Data areas, comma-separated [default: all]'
            cand --for 'How long the grant lasts, e.g. 30m, 8h, 2d [default: the server''s, 8h]'
            cand --until 'When the grant ends (RFC 3339, e.g. 2026-11-28T17:00:00Z)'
            cand --engineer 'A support engineer who may use the grant (repeatable) [default: the whole support team]'
            cand --reason 'Why support needs access (required; shown to engineers and in the audit log)'
            cand --ticket 'Your support case reference'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --dry-run 'Show what would be created, and create nothing'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant;list'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --status 'Which grants'
            cand --limit 'Show at most N'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant;show'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant;extend'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --by 'How much later the grant should end, e.g. 4h'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant;revoke'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --reason 'Why (recorded in the audit log)'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Revoke every active grant of the org'
            cand --dry-run 'Show what would be revoked, and revoke nothing'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;grant;help'= {
            cand create 'Grant the support team access to your org'
            cand list 'List grants: an admin sees the org''s, a support engineer those usable by them'
            cand show 'Show one grant'
            cand extend 'Move an active grant''s expiry later'
            cand revoke 'Revoke grants: their sessions end at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;grant;help;create'= {
        }
        &'supportctl;grant;help;list'= {
        }
        &'supportctl;grant;help;show'= {
        }
        &'supportctl;grant;help;extend'= {
        }
        &'supportctl;grant;help;revoke'= {
        }
        &'supportctl;grant;help;help'= {
        }
        &'supportctl;session'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand open 'Open a session in an org; prints its token once'
            cand exec 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
            cand list 'List sessions: your own as a support engineer, the org''s as an admin'
            cand show 'Show one session'
            cand close 'Close sessions at once'
            cand check 'Is a session token active, and what may it do? Exit 4 if it is not active'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;session;open'= {
            cand --grant 'The grant to use [default: the narrowest usable grant that covers the request]'
            cand --level 'Access level, at most the grant''s [default: the grant''s]'
            cand --areas 'Data areas, a subset of the grant''s [default: the grant''s]'
            cand --ttl 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]'
            cand --reason 'Why you open it (required; in the org''s audit log)'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;exec'= {
            cand --grant 'The grant to use [default: the narrowest usable grant that covers the request]'
            cand --level 'Access level, at most the grant''s [default: the grant''s]'
            cand --areas 'Data areas, a subset of the grant''s [default: the grant''s]'
            cand --ttl 'Session lifetime, capped by the grant''s expiry [default: the server''s, 1h]'
            cand --reason 'Why you open it (required; in the org''s audit log)'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;list'= {
            cand --org 'Only this org''s sessions (admins: default your org)'
            cand --status 'status'
            cand --limit 'Show at most N'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;show'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;close'= {
            cand --reason 'Why (recorded in the audit log)'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;check'= {
            cand --token 'The session token [default: $SUPPORTCTL_SESSION_TOKEN]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;session;help'= {
            cand open 'Open a session in an org; prints its token once'
            cand exec 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
            cand list 'List sessions: your own as a support engineer, the org''s as an admin'
            cand show 'Show one session'
            cand close 'Close sessions at once'
            cand check 'Is a session token active, and what may it do? Exit 4 if it is not active'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;session;help;open'= {
        }
        &'supportctl;session;help;exec'= {
        }
        &'supportctl;session;help;list'= {
        }
        &'supportctl;session;help;show'= {
        }
        &'supportctl;session;help;close'= {
        }
        &'supportctl;session;help;check'= {
        }
        &'supportctl;session;help;help'= {
        }
        &'supportctl;audit'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List the org''s audit events, oldest first'
            cand verify 'Recompute the hash chain; exit 1 at the first break, saying where'
            cand checkpoint 'Print a checkpoint of the log, signed by the server'
            cand key 'Print the server''s verifier key, which checks its checkpoints (no login needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;audit;list'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --since 'Only events since a duration ago (24h) or a time (RFC 3339)'
            cand --action 'Only events with this action, e.g. grant.revoked or access.denied'
            cand --limit 'Show at most N'
            cand --interval 'How often --follow asks for new events'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --vendor 'The vendor''s own log (operators): accounts outside any org, and orgs themselves'
            cand -f 'Keep printing new events until interrupted'
            cand --follow 'Keep printing new events until interrupted'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;audit;verify'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --file 'Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin)'
            cand --checkpoint 'A checkpoint from `audit checkpoint`: also prove that the log still holds its event and extends it (its org, or the vendor''s log, is the one checked)'
            cand --key 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --vendor 'The vendor''s own log (operators)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;audit;checkpoint'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --vendor 'The vendor''s own chain (operators)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;audit;key'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;audit;help'= {
            cand list 'List the org''s audit events, oldest first'
            cand verify 'Recompute the hash chain; exit 1 at the first break, saying where'
            cand checkpoint 'Print a checkpoint of the log, signed by the server'
            cand key 'Print the server''s verifier key, which checks its checkpoints (no login needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;audit;help;list'= {
        }
        &'supportctl;audit;help;verify'= {
        }
        &'supportctl;audit;help;checkpoint'= {
        }
        &'supportctl;audit;help;key'= {
        }
        &'supportctl;audit;help;help'= {
        }
        &'supportctl;webhook'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Send the org''s events to a URL; prints the signing secret once'
            cand list 'List the org''s webhooks'
            cand show 'Show one webhook (its secret is never shown again)'
            cand remove 'Remove a webhook and its pending deliveries'
            cand test 'Send a `webhook.test` message now'
            cand deliveries 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt'
            cand redeliver 'Send a delivery''s message again (same webhook-id)'
            cand rotate-secret 'A new signing secret; the old one also signs for 24 hours'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;webhook;add'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --events 'Comma-separated event patterns: `*`, `grant.*`, `request.created`, ... [default: *]'
            cand --format '`standard` (signed Standard Webhooks JSON) or `slack` (text for Slack and Teams)'
            cand --description 'description'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;list'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;show'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;remove'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;test'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;deliveries'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --status 'status'
            cand --limit 'Show at most N'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;redeliver'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;rotate-secret'= {
            cand --org 'The org [default: SUPPORTCTL_ORG, the profile''s, or your own as an admin]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;webhook;help'= {
            cand add 'Send the org''s events to a URL; prints the signing secret once'
            cand list 'List the org''s webhooks'
            cand show 'Show one webhook (its secret is never shown again)'
            cand remove 'Remove a webhook and its pending deliveries'
            cand test 'Send a `webhook.test` message now'
            cand deliveries 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt'
            cand redeliver 'Send a delivery''s message again (same webhook-id)'
            cand rotate-secret 'A new signing secret; the old one also signs for 24 hours'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;webhook;help;add'= {
        }
        &'supportctl;webhook;help;list'= {
        }
        &'supportctl;webhook;help;show'= {
        }
        &'supportctl;webhook;help;remove'= {
        }
        &'supportctl;webhook;help;test'= {
        }
        &'supportctl;webhook;help;deliveries'= {
        }
        &'supportctl;webhook;help;redeliver'= {
        }
        &'supportctl;webhook;help;rotate-secret'= {
        }
        &'supportctl;webhook;help;help'= {
        }
        &'supportctl;org'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create an org'
            cand list 'List orgs'
            cand disable 'Disable an org: its admins are locked out and its open sessions end at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;org;create'= {
            cand --name 'Display name [default: the slug]'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;org;list'= {
            cand --limit 'Show at most N'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;org;disable'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;org;help'= {
            cand create 'Create an org'
            cand list 'List orgs'
            cand disable 'Disable an org: its admins are locked out and its open sessions end at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;org;help;create'= {
        }
        &'supportctl;org;help;list'= {
        }
        &'supportctl;org;help;disable'= {
        }
        &'supportctl;org;help;help'= {
        }
        &'supportctl;account'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create an account; prints its token once'
            cand list 'List accounts'
            cand disable 'Disable an account: its token stops working and its open sessions end at once'
            cand rotate-token 'Replace an account''s token; the old one stops working at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;account;create'= {
            cand --role 'role'
            cand --org 'The org an admin administers (admins only)'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;account;list'= {
            cand --limit 'Show at most N'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --all 'Show all, however many'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;account;disable'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;account;rotate-token'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;account;help'= {
            cand create 'Create an account; prints its token once'
            cand list 'List accounts'
            cand disable 'Disable an account: its token stops working and its open sessions end at once'
            cand rotate-token 'Replace an account''s token; the old one stops working at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;account;help;create'= {
        }
        &'supportctl;account;help;list'= {
        }
        &'supportctl;account;help;disable'= {
        }
        &'supportctl;account;help;rotate-token'= {
        }
        &'supportctl;account;help;help'= {
        }
        &'supportctl;completion'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;server'= {
            cand --listen 'Address to listen on; port 0 picks a free port (the bound address is logged)'
            cand --db 'Database: sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the XDG data dir]'
            cand --max-grant-duration 'Longest grant an admin may create or extend to'
            cand --default-grant-duration 'Grant duration when the admin gives none'
            cand --max-session-ttl 'Longest session a support engineer may open'
            cand --default-session-ttl 'Session lifetime when the engineer gives none'
            cand --max-sessions-per-engineer 'Sessions one support engineer may have active at once, across all orgs: a stolen engineer token cannot flood an org with sessions'
            cand --db-max-connections 'Most database connections per server process'
            cand --db-min-connections 'Connections kept open when idle'
            cand --db-acquire-timeout 'How long a request waits for a free database connection before it fails with 503'
            cand --request-timeout 'Requests taking longer are cut off with 408'
            cand --tls-cert 'Serve HTTPS with this PEM certificate chain (needs --tls-key)'
            cand --tls-key 'The PEM private key of --tls-cert'
            cand --auth-failures-per-minute 'Bad tokens a client address may present per minute before it gets 429 (0: no limit)'
            cand --client-address-header 'Count failures by the client address a load balancer in front puts in this header (e.g. X-Forwarded-For; its right-most address), not by the balancer''s own. Set it only when every request comes through that balancer'
            cand --max-connections 'Most client connections open at once; more wait in the kernel''s queue until one closes. Each holds a file descriptor: the default stays well under the usual limit of 1024 open files per process, leaving room for database connections. Raise `ulimit -n` first to go higher'
            cand --name 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none'
            cand --signing-key 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database'
            cand --expiry-warning 'How long before a grant expires its `grant.expiring` webhook notification goes out'
            cand --sweep-interval 'How often expiries are recorded in the audit log'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --dev 'Start a throwaway local server with org `acme` and one account per role, and print `export` lines for their tokens on stdout'
            cand --allow-http-webhooks 'Let webhooks use http:// URLs (implied by --dev)'
            cand --allow-private-webhooks 'Let webhooks reach loopback, private, link-local and unique-local addresses (implied by --dev). Without it, each attempt checks the address the URL''s host resolves to'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the schema and the first operator account; prints its token once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;server;init'= {
            cand --email 'Email of the first operator'
            cand --db 'Database: sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the XDG data dir]'
            cand --name 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none'
            cand --signing-key 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database'
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;server;help'= {
            cand init 'Create the schema and the first operator account; prints its token once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;server;help;init'= {
        }
        &'supportctl;server;help;help'= {
        }
        &'supportctl;demo'= {
            cand --profile 'Profile in config.toml to use'
            cand --server 'Server URL, overriding the profile''s'
            cand -o 'Output format [default: table on a terminal, tsv otherwise]'
            cand --output 'Output format [default: table on a terminal, tsv otherwise]'
            cand --color 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (for a server with a private CA)'
            cand --json 'Same as `-o json`'
            cand -q 'Print only IDs (or only the token, for `session open`)'
            cand --quiet 'Print only IDs (or only the token, for `session open`)'
            cand -y 'Assume yes at every confirmation'
            cand --yes 'Assume yes at every confirmation'
            cand --no-input 'Never prompt; fail instead when something is missing'
            cand -v 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --verbose 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
            cand --allow-insecure-http 'Allow sending tokens over plain http:// to hosts other than this machine'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'supportctl;help'= {
            cand login 'Sign in: check a token with the server and store it in the OS keyring'
            cand logout 'Forget a profile''s stored token'
            cand status 'Who am I, on which server, with which token; exit 4 if not usable'
            cand grant 'Grant, list, extend and revoke support access (org admins)'
            cand session 'Open, use, list and close support sessions (support engineers)'
            cand audit 'Read, follow, verify and checkpoint the org''s audit log (org admins; --vendor: the vendor''s own log, operators)'
            cand webhook 'Send the org''s events to your endpoints, signed; see and replay deliveries (org admins)'
            cand org 'Create, list and disable orgs (operators)'
            cand account 'Create, list and disable accounts (operators)'
            cand completion 'Print a shell completion script'
            cand server 'Run the support-access API server'
            cand demo 'Walk through the whole workflow on a throwaway local server'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'supportctl;help;login'= {
        }
        &'supportctl;help;logout'= {
        }
        &'supportctl;help;status'= {
        }
        &'supportctl;help;grant'= {
            cand create 'Grant the support team access to your org'
            cand list 'List grants: an admin sees the org''s, a support engineer those usable by them'
            cand show 'Show one grant'
            cand extend 'Move an active grant''s expiry later'
            cand revoke 'Revoke grants: their sessions end at once'
        }
        &'supportctl;help;grant;create'= {
        }
        &'supportctl;help;grant;list'= {
        }
        &'supportctl;help;grant;show'= {
        }
        &'supportctl;help;grant;extend'= {
        }
        &'supportctl;help;grant;revoke'= {
        }
        &'supportctl;help;session'= {
            cand open 'Open a session in an org; prints its token once'
            cand exec 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
            cand list 'List sessions: your own as a support engineer, the org''s as an admin'
            cand show 'Show one session'
            cand close 'Close sessions at once'
            cand check 'Is a session token active, and what may it do? Exit 4 if it is not active'
        }
        &'supportctl;help;session;open'= {
        }
        &'supportctl;help;session;exec'= {
        }
        &'supportctl;help;session;list'= {
        }
        &'supportctl;help;session;show'= {
        }
        &'supportctl;help;session;close'= {
        }
        &'supportctl;help;session;check'= {
        }
        &'supportctl;help;audit'= {
            cand list 'List the org''s audit events, oldest first'
            cand verify 'Recompute the hash chain; exit 1 at the first break, saying where'
            cand checkpoint 'Print a checkpoint of the log, signed by the server'
            cand key 'Print the server''s verifier key, which checks its checkpoints (no login needed)'
        }
        &'supportctl;help;audit;list'= {
        }
        &'supportctl;help;audit;verify'= {
        }
        &'supportctl;help;audit;checkpoint'= {
        }
        &'supportctl;help;audit;key'= {
        }
        &'supportctl;help;webhook'= {
            cand add 'Send the org''s events to a URL; prints the signing secret once'
            cand list 'List the org''s webhooks'
            cand show 'Show one webhook (its secret is never shown again)'
            cand remove 'Remove a webhook and its pending deliveries'
            cand test 'Send a `webhook.test` message now'
            cand deliveries 'A webhook''s deliveries: status, attempts, last HTTP status or error, next attempt'
            cand redeliver 'Send a delivery''s message again (same webhook-id)'
            cand rotate-secret 'A new signing secret; the old one also signs for 24 hours'
        }
        &'supportctl;help;webhook;add'= {
        }
        &'supportctl;help;webhook;list'= {
        }
        &'supportctl;help;webhook;show'= {
        }
        &'supportctl;help;webhook;remove'= {
        }
        &'supportctl;help;webhook;test'= {
        }
        &'supportctl;help;webhook;deliveries'= {
        }
        &'supportctl;help;webhook;redeliver'= {
        }
        &'supportctl;help;webhook;rotate-secret'= {
        }
        &'supportctl;help;org'= {
            cand create 'Create an org'
            cand list 'List orgs'
            cand disable 'Disable an org: its admins are locked out and its open sessions end at once'
        }
        &'supportctl;help;org;create'= {
        }
        &'supportctl;help;org;list'= {
        }
        &'supportctl;help;org;disable'= {
        }
        &'supportctl;help;account'= {
            cand create 'Create an account; prints its token once'
            cand list 'List accounts'
            cand disable 'Disable an account: its token stops working and its open sessions end at once'
            cand rotate-token 'Replace an account''s token; the old one stops working at once'
        }
        &'supportctl;help;account;create'= {
        }
        &'supportctl;help;account;list'= {
        }
        &'supportctl;help;account;disable'= {
        }
        &'supportctl;help;account;rotate-token'= {
        }
        &'supportctl;help;completion'= {
        }
        &'supportctl;help;server'= {
            cand init 'Create the schema and the first operator account; prints its token once'
        }
        &'supportctl;help;server;init'= {
        }
        &'supportctl;help;demo'= {
        }
        &'supportctl;help;help'= {
        }
    ]
    $completions[$command]
}
