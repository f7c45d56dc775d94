# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_supportctl_global_optspecs
    string join \n profile= org= server= o/output= json q/quiet y/yes no-input color= v/verbose allow-insecure-http ca-cert= h/help V/version
end

function __fish_supportctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_supportctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_supportctl_using_subcommand
    set -l cmd (__fish_supportctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c supportctl -n "__fish_supportctl_needs_command" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_needs_command" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_needs_command" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_needs_command" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_needs_command" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_needs_command" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_needs_command" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_needs_command" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_needs_command" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_needs_command" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_needs_command" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_needs_command" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_needs_command" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "login" -d 'Sign in with your identity provider (--sso), or with a token; store it in the OS keyring'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "logout" -d 'Forget a profile, and its stored token unless another profile of the config uses it'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "status" -d 'Who am I, on which server, with which token; exit 4 if not usable'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "grant" -d 'Grant, list, extend and revoke support access (org admins)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "request" -d 'Ask for access and wait (support engineers); approve, deny, review (org admins)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "session" -d 'Open, use, list and close support sessions (support engineers)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "audit" -d 'Read, follow, verify and checkpoint the org\'s audit log (org admins; --vendor: the vendor\'s own log, operators)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "webhook" -d 'Send the org\'s events to your endpoints, signed; see and replay deliveries (org admins)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "ticket" -d 'Close a support ticket: the access given for it ends (org admins, services)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "org" -d 'Create, list and disable orgs (operators); show and set an org\'s policy (admins)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "account" -d 'Create, list and disable accounts (operators)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "sso" -d 'The identity providers people sign in with: sign-in connectors (operators; an org\'s admins for their org)'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "profile" -d 'List profiles, switch the default one, show the one in use'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "demo" -d 'Walk through the whole workflow on a throwaway local server'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "server" -d 'Run the support-access API server'
complete -c supportctl -n "__fish_supportctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l connector -d 'The sign-in connector to use [default: the only one; asked on a terminal when there are several]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l org -d 'Sign in through this org\'s own connector (its admins)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l sso -d 'Sign in with the identity provider (single sign-on): opens the provider\'s page in a browser and waits for the sign-in; the token it yields expires (the server\'s --sso-token-ttl)'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l device -d 'Use the device flow: a code to enter on any device with a browser (the connector must offer it)'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l no-browser -d 'Print the URL without opening a browser'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l with-token -d 'Read the token from stdin instead of prompting'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l insecure-storage -d 'Store the token in a plain file (mode 0600) instead of the OS keyring'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand login" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand logout" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "create" -d 'Grant the support team access to your org'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "list" -d 'List grants: an admin sees the org\'s, a support engineer those usable by them'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "ls" -d 'List grants: an admin sees the org\'s, a support engineer those usable by them'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "show" -d 'Show one grant'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "report" -d 'Print a grant\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "extend" -d 'Move an active grant\'s expiry later'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "revoke" -d 'Revoke grants: their sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "rm" -d 'Revoke grants: their sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "acknowledge" -d 'Acknowledge a break-glass grant: you have seen it and accept it'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "dispute" -d 'Dispute a break-glass grant: it is revoked at once, its sessions end'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and not __fish_seen_subcommand_from create list ls show report extend revoke rm acknowledge dispute help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l level -d 'Access level: read-only, member or admin' -r -f -a "read-only\t'May read, never change anything'
member\t'Acts as a regular member of the org'
admin\t'Acts as a system administrator of the org'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l areas -d 'Data areas, comma-separated; `all`: every area the org\'s policy allows [default: all]' -r -f -a "chats\t''
source-code\t''
employee-data\t''
issues\t''
documents\t''
checklists\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l for -d 'How long the grant lasts, e.g. 30m, 8h, 2d [default: the server\'s, 8h]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l until -d 'When the grant ends (RFC 3339, e.g. 2026-11-28T17:00:00Z)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l engineer -d 'A support engineer who may use the grant (repeatable) [default: the whole support team]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l reason -d 'Why support needs access (required; shown to engineers and in the audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l ticket -d 'Your support case reference' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l dry-run -d 'Ask the server what would be created (every check of a real grant), and create nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l status -d 'Which grants' -r -f -a "active\t''
expired\t''
revoked\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l status -d 'Which grants' -r -f -a "active\t''
expired\t''
revoked\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l for -l by -d 'How much later the grant should end, e.g. 4h (`--by` is the same)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l until -d 'When the grant should end instead (RFC 3339, e.g. 2026-11-28T17:00:00Z), later than now' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l dry-run -d 'Ask the server when the grant would end (every check of a real extension), and change nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from extend" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l reason -d 'Why (recorded in the audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l all -d 'Revoke every active grant of the org'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l dry-run -d 'Ask the server what would be revoked and which sessions would end, and revoke nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l reason -d 'Why (recorded in the audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l all -d 'Revoke every active grant of the org'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l dry-run -d 'Ask the server what would be revoked and which sessions would end, and revoke nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from acknowledge" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l reason -d 'Why you dispute it (required: the vendor reads it)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from dispute" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "create" -d 'Grant the support team access to your org'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "list" -d 'List grants: an admin sees the org\'s, a support engineer those usable by them'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one grant'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "report" -d 'Print a grant\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "extend" -d 'Move an active grant\'s expiry later'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke grants: their sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "acknowledge" -d 'Acknowledge a break-glass grant: you have seen it and accept it'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "dispute" -d 'Dispute a break-glass grant: it is revoked at once, its sessions end'
complete -c supportctl -n "__fish_supportctl_using_subcommand grant; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "create" -d 'Ask an org\'s admins for access (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "list" -d 'List requests: an admin sees the org\'s (pending first), an engineer their own'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "ls" -d 'List requests: an admin sees the org\'s (pending first), an engineer their own'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "show" -d 'Show one request'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "report" -d 'Print a request\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "approve" -d 'Approve a pending request (org admins); options may narrow it, never widen it'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "deny" -d 'Deny a pending request (org admins); the engineer reads the comment'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "confirm" -d 'Confirm an engineer\'s break-glass request (operators): its grant starts at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "cancel" -d 'Cancel one of your own pending requests (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "wait" -d 'Wait for a request\'s decision: exit 0 approved, 6 refused, 8 still pending'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "review" -d 'On a terminal, go through the org\'s pending requests: approve, deny or skip each'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and not __fish_seen_subcommand_from create list ls show report approve deny confirm cancel wait review help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l level -d 'Access level asked: read-only, member or admin' -r -f -a "read-only\t'May read, never change anything'
member\t'Acts as a regular member of the org'
admin\t'Acts as a system administrator of the org'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l areas -d 'Data areas, comma-separated; `all`: every area the org\'s policy allows [default: all]' -r -f -a "chats\t''
source-code\t''
employee-data\t''
issues\t''
documents\t''
checklists\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l for -d 'How long the grant should last, e.g. 4h [default: the org\'s default]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l reason -d 'Why you need access (required; the org\'s admins decide on it)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l ticket -d 'Your support case reference (required when the org\'s policy says so)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l timeout -d 'With --wait: how long to wait before exiting 8' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l break-glass -d 'Break-glass: an emergency request that an operator confirms (`request confirm`) instead of the org\'s admins; its grant starts at once, and the org\'s admins are alerted. Only when the org\'s policy allows it, up to its break-glass level and duration (default: that duration)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l wait -d 'Wait for the decision (see `request wait`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l status -d 'Which requests' -r -f -a "pending\t''
approved\t''
denied\t''
cancelled\t''
expired\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l status -d 'Which requests' -r -f -a "pending\t''
approved\t''
denied\t''
cancelled\t''
expired\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l level -d 'Grant a lower level than asked' -r -f -a "read-only\t'May read, never change anything'
member\t'Acts as a regular member of the org'
admin\t'Acts as a system administrator of the org'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l areas -d 'Grant fewer areas than asked, comma-separated; `all`: all those asked [default: all]' -r -f -a "chats\t''
source-code\t''
employee-data\t''
issues\t''
documents\t''
checklists\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l for -d 'Grant a shorter time than asked, e.g. 2h' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l comment -d 'A note for the engineer and the audit log' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l dry-run -d 'Ask the server what approving would do (every check of a real approval), and change nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from approve" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l comment -d 'Why (required: the engineer reads it)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l dry-run -d 'Ask the server whether the request can be denied, and change nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from deny" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l comment -d 'Why you confirm it (recorded in the org\'s audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from confirm" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l timeout -d 'How long to wait before exiting 8' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from wait" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from review" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "create" -d 'Ask an org\'s admins for access (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "list" -d 'List requests: an admin sees the org\'s (pending first), an engineer their own'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one request'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "report" -d 'Print a request\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "approve" -d 'Approve a pending request (org admins); options may narrow it, never widen it'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "deny" -d 'Deny a pending request (org admins); the engineer reads the comment'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "confirm" -d 'Confirm an engineer\'s break-glass request (operators): its grant starts at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel one of your own pending requests (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait for a request\'s decision: exit 0 approved, 6 refused, 8 still pending'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "review" -d 'On a terminal, go through the org\'s pending requests: approve, deny or skip each'
complete -c supportctl -n "__fish_supportctl_using_subcommand request; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "open" -d 'Open a session in an org; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "exec" -d 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "list" -d 'List sessions: your own as a support engineer, the org\'s as an admin'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "ls" -d 'List sessions: your own as a support engineer, the org\'s as an admin'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "show" -d 'Show one session'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "close" -d 'Close sessions at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "rm" -d 'Close sessions at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "check" -d 'Is a session token active, and what may it do? Exit 4 if it is not active'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and not __fish_seen_subcommand_from open exec list ls show close rm check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l grant -d 'The grant to use [default: the narrowest usable grant that covers the request]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l level -d 'Access level, at most the grant\'s [default: the grant\'s]' -r -f -a "read-only\t'May read, never change anything'
member\t'Acts as a regular member of the org'
admin\t'Acts as a system administrator of the org'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l areas -d 'Data areas, a subset of the grant\'s; `all`: all the grant\'s [default: all]' -r -f -a "chats\t''
source-code\t''
employee-data\t''
issues\t''
documents\t''
checklists\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l for -l ttl -d 'Session lifetime, capped by the grant\'s expiry [default: the server\'s, 1h]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l reason -d 'Why you open it (required; in the org\'s audit log; asked for on a terminal)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l request-for -d 'With --request: how long the grant asked for should last [default: the org\'s]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l ticket -d 'With --request: your support case reference' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l timeout -d 'With --request: how long to wait for the decision before exiting 8' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l request -d 'When no usable grant covers the session, ask the org\'s admins for one and wait'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from open" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l grant -d 'The grant to use [default: the narrowest usable grant that covers the request]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l level -d 'Access level, at most the grant\'s [default: the grant\'s]' -r -f -a "read-only\t'May read, never change anything'
member\t'Acts as a regular member of the org'
admin\t'Acts as a system administrator of the org'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l areas -d 'Data areas, a subset of the grant\'s; `all`: all the grant\'s [default: all]' -r -f -a "chats\t''
source-code\t''
employee-data\t''
issues\t''
documents\t''
checklists\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l for -l ttl -d 'Session lifetime, capped by the grant\'s expiry [default: the server\'s, 1h]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l reason -d 'Why you open it (required; in the org\'s audit log; asked for on a terminal)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l request-for -d 'With --request: how long the grant asked for should last [default: the org\'s]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l ticket -d 'With --request: your support case reference' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l timeout -d 'With --request: how long to wait for the decision before exiting 8' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l on-end -d 'When the session is revoked, closed or expires: stop the command (SIGTERM, SIGKILL 10 s later, exit 6) or only warn' -r -f -a "stop\t'SIGTERM, then SIGKILL 10 s later; supportctl exits 6'
warn\t'Only print a warning; the command runs on (without a usable session)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l request -d 'When no usable grant covers the session, ask the org\'s admins for one and wait'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from exec" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l org -d 'Only this org\'s sessions (admins: default your org)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l status -r -f -a "active\t''
expired\t''
closed\t''
revoked\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l org -d 'Only this org\'s sessions (admins: default your org)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l status -r -f -a "active\t''
expired\t''
closed\t''
revoked\t''
all\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l reason -d 'Why (recorded in the audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from close" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l reason -d 'Why (recorded in the audit log)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l token -d 'The session token (prefer stdin or SUPPORTCTL_SESSION_TOKEN: a command line is seen by other users and kept in shell history); `-` reads it from stdin' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "open" -d 'Open a session in an org; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "exec" -d 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "list" -d 'List sessions: your own as a support engineer, the org\'s as an admin'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one session'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "close" -d 'Close sessions at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "check" -d 'Is a session token active, and what may it do? Exit 4 if it is not active'
complete -c supportctl -n "__fish_supportctl_using_subcommand session; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "list" -d 'List the org\'s newest audit events, oldest of them first'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "ls" -d 'List the org\'s newest audit events, oldest of them first'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "verify" -d 'Recompute the hash chain; exit 1 at the first break, saying where'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "verify-report" -d 'Check an evidence report offline; exit 1 at the first thing that does not hold'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "checkpoint" -d 'Print a checkpoint of the log, signed by the server'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "prove" -d 'Prove that one event is in the log the server signs now'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "key" -d 'Print the server\'s verifier key, which checks its checkpoints (no login needed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and not __fish_seen_subcommand_from list ls verify verify-report checkpoint prove key help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l since -d 'Only events since a duration ago (24h) or a time (RFC 3339)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l action -d 'Only events with this action, e.g. grant.revoked or access.denied' -r -f -a "access.allowed\t''
access.denied\t''
account.created\t''
account.disabled\t''
account.email_changed\t''
account.linked\t''
account.login\t''
account.login_failed\t''
account.role_changed\t''
account.token_rotated\t''
approval_rule.created\t''
approval_rule.removed\t''
audit.restored\t''
auth.connector.created\t''
auth.connector.removed\t''
grant.acknowledged\t''
grant.break_glass\t''
grant.created\t''
grant.disputed\t''
grant.expired\t''
grant.extended\t''
grant.revoked\t''
org.created\t''
org.disabled\t''
policy.change_approval_added\t''
policy.change_proposed\t''
policy.updated\t''
request.approval_added\t''
request.approved\t''
request.cancelled\t''
request.confirmed\t''
request.created\t''
request.denied\t''
request.expired\t''
session.closed\t''
session.expired\t''
session.opened\t''
webhook.created\t''
webhook.removed\t''
webhook.secret_rotated\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l grant -d 'Only events about this grant: its own, the session opened on it, the request approved into it' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l session -d 'Only events about this session: its opening and closing, each access checked in it' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l request -d 'Only events about this access request, and the grant its approval created' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l actor -d 'Only events by the account with this email' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l before-seq -d 'Only events before this one (a `seq`), to look further back than the newest' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l tail -d 'With --follow: first print the last N events, for context' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l interval -d 'How often --follow asks for new events' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l vendor -d 'The vendor\'s own log (operators): accounts outside any org, and orgs themselves'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s f -l follow -d 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l since -d 'Only events since a duration ago (24h) or a time (RFC 3339)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l action -d 'Only events with this action, e.g. grant.revoked or access.denied' -r -f -a "access.allowed\t''
access.denied\t''
account.created\t''
account.disabled\t''
account.email_changed\t''
account.linked\t''
account.login\t''
account.login_failed\t''
account.role_changed\t''
account.token_rotated\t''
approval_rule.created\t''
approval_rule.removed\t''
audit.restored\t''
auth.connector.created\t''
auth.connector.removed\t''
grant.acknowledged\t''
grant.break_glass\t''
grant.created\t''
grant.disputed\t''
grant.expired\t''
grant.extended\t''
grant.revoked\t''
org.created\t''
org.disabled\t''
policy.change_approval_added\t''
policy.change_proposed\t''
policy.updated\t''
request.approval_added\t''
request.approved\t''
request.cancelled\t''
request.confirmed\t''
request.created\t''
request.denied\t''
request.expired\t''
session.closed\t''
session.expired\t''
session.opened\t''
webhook.created\t''
webhook.removed\t''
webhook.secret_rotated\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l grant -d 'Only events about this grant: its own, the session opened on it, the request approved into it' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l session -d 'Only events about this session: its opening and closing, each access checked in it' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l request -d 'Only events about this access request, and the grant its approval created' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l actor -d 'Only events by the account with this email' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l before-seq -d 'Only events before this one (a `seq`), to look further back than the newest' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l tail -d 'With --follow: first print the last N events, for context' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l interval -d 'How often --follow asks for new events' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l vendor -d 'The vendor\'s own log (operators): accounts outside any org, and orgs themselves'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s f -l follow -d 'Print new events as they happen, one line each, until interrupted (reconnects when the server goes away, resuming after the last event printed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l file -d 'Verify an export (a JSON array from `audit list --all -o json`; `-` for stdin)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l checkpoint -d 'A checkpoint from `audit checkpoint`: prove that the log the server signs now extends it, by a consistency proof (its org, or the vendor\'s log, is the one checked)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l key -d 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l vendor -d 'The vendor\'s own log (operators)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l full -d 'With --checkpoint, also read and check the whole log (as without a checkpoint, or with --file), not only the proof'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l key -d 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from verify-report" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l vendor -d 'The vendor\'s own chain (operators)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l key -d 'The verifier key to check the checkpoint with (from `audit key`), or a file holding it [default: fetched from the server]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l vendor -d 'The vendor\'s own chain (operators)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from prove" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from key" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the org\'s newest audit events, oldest of them first'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Recompute the hash chain; exit 1 at the first break, saying where'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify-report" -d 'Check an evidence report offline; exit 1 at the first thing that does not hold'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "checkpoint" -d 'Print a checkpoint of the log, signed by the server'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "prove" -d 'Prove that one event is in the log the server signs now'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "key" -d 'Print the server\'s verifier key, which checks its checkpoints (no login needed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "add" -d 'Send the org\'s events to a URL; prints the signing secret once'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "list" -d 'List the org\'s webhooks'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "ls" -d 'List the org\'s webhooks'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "show" -d 'Show one webhook (its secret is never shown again)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "remove" -d 'Remove a webhook and its pending deliveries'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "rm" -d 'Remove a webhook and its pending deliveries'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "test" -d 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "deliveries" -d 'A webhook\'s deliveries: status, attempts, last HTTP status or error, next attempt'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "redeliver" -d 'Send a delivery\'s message again (same webhook-id)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "rotate-secret" -d 'A new signing secret; the old one also signs for 24 hours, unless `--now`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and not __fish_seen_subcommand_from add list ls show remove rm test deliveries redeliver rotate-secret help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l events -d 'Comma-separated event patterns: `*`, `grant.*`, `request.created`, ... [default: *]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l format -d '`standard` (signed Standard Webhooks JSON), `slack` (text for Slack and Teams) or `ocsf` (each audit event as a signed OCSF 1.1.0 event, for a SIEM)' -r -f -a "standard\t'Standard Webhooks: signed `{"type", "timestamp", "data"}`'
slack\t'`{"text": ...}` for Slack and Microsoft Teams incoming webhooks'
ocsf\t'The OCSF 1.1.0 event of each audit event, for a SIEM; signed as `standard`'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l description -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l status -r -f -a "pending\t''
delivered\t''
failed\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from deliveries" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from redeliver" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l now -d 'End the old secret at once (it leaked) instead of letting it sign for 24 more hours; messages fail to verify until the receiver has the new one'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from rotate-secret" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "add" -d 'Send the org\'s events to a URL; prints the signing secret once'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the org\'s webhooks'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one webhook (its secret is never shown again)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a webhook and its pending deliveries'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "deliveries" -d 'A webhook\'s deliveries: status, attempts, last HTTP status or error, next attempt'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "redeliver" -d 'Send a delivery\'s message again (same webhook-id)'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "rotate-secret" -d 'A new signing secret; the old one also signs for 24 hours, unless `--now`'
complete -c supportctl -n "__fish_supportctl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -f -a "close" -d 'Close a ticket: revoke the org\'s active grants with it (ending their sessions) and cancel its pending requests, all at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and not __fish_seen_subcommand_from close help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l reason -d 'Why, recorded with each cancelled request' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from close" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from help" -f -a "close" -d 'Close a ticket: revoke the org\'s active grants with it (ending their sessions) and cancel its pending requests, all at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand ticket; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "create" -d 'Create an org'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "list" -d 'List orgs'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "ls" -d 'List orgs'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "disable" -d 'Disable an org: its admins are locked out and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "policy" -d 'Show the org\'s own policy, or change it with `set` (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "rule" -d 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and not __fish_seen_subcommand_from create list ls disable policy rule help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l name -d 'Display name [default: the slug]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from disable" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l org -d 'The org [default: SUPPORTCTL_ORG, the profile\'s, or your own as an admin]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -f -a "set" -d 'Change the named settings; the others stay as they are'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -f -a "pending" -d 'Show the change waiting for admins\' approvals, if any'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -f -a "approve" -d 'Approve the pending change (after showing it); the last approval needed applies it'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from policy" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "add" -d 'Make a rule: requests entirely inside it are approved without an admin, until it expires (at most 90 days ahead)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "list" -d 'List the org\'s rules (in force, and expired ones not yet removed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "ls" -d 'List the org\'s rules (in force, and expired ones not yet removed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "remove" -d 'Remove a rule, by name or id: from then on it approves nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "rm" -d 'Remove a rule, by name or id: from then on it approves nothing'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from rule" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an org'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "list" -d 'List orgs'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Disable an org: its admins are locked out and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Show the org\'s own policy, or change it with `set` (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "rule" -d 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand org; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "create" -d 'Create an account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "list" -d 'List accounts'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "ls" -d 'List accounts'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "disable" -d 'Disable an account: its token stops working and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "rotate-token" -d 'Replace an account\'s token; the old one stops working at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and not __fish_seen_subcommand_from create list ls disable rotate-token help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l role -r -f -a "operator\t'The vendor\'s platform operators: orgs and accounts'
admin\t'An org\'s administrator: grants, sessions and audit of that org'
support\t'A support engineer: opens sessions from grants'
service\t'A platform service: introspects and authorizes session tokens'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l org -d 'The org an admin administers (admins only)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l limit -d 'Show at most N' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l all -d 'Show all, however many'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from disable" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from rotate-token" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "list" -d 'List accounts'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Disable an account: its token stops working and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "rotate-token" -d 'Replace an account\'s token; the old one stops working at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -f -a "connector" -d 'Add, list, show and remove sign-in connectors: the vendor\'s (operators) or an org\'s (its admins, with --org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and not __fish_seen_subcommand_from connector help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "add" -d 'Add a connector: the identity provider\'s issuer, the client registered there, and the rules that give roles'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "list" -d 'List the connectors'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "ls" -d 'List the connectors'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "show" -d 'Show one connector (never its client secret)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "remove" -d 'Remove a connector; sign-ins in progress through it end'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "rm" -d 'Remove a connector; sign-ins in progress through it end'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from connector" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "connector" -d 'Add, list, show and remove sign-in connectors: the vendor\'s (operators) or an org\'s (its admins, with --org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -f -a "list" -d 'List the profiles; `*` marks the one in use'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -f -a "ls" -d 'List the profiles; `*` marks the one in use'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -f -a "use" -d 'Make a profile the default for later commands (and set its default org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -f -a "current" -d 'Print the profile in use, and why (flag, environment or config)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and not __fish_seen_subcommand_from list ls use current help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l org -d 'Also make ORG this profile\'s default org (an empty value clears it)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from current" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the profiles; `*` marks the one in use'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make a profile the default for later commands (and set its default org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "current" -d 'Print the profile in use, and why (flag, environment or config)'
complete -c supportctl -n "__fish_supportctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand completion" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s v -l verbose -d 'Log HTTP requests on stderr (-vv adds headers; tokens are always redacted)'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand demo" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l listen -d 'Address to listen on; port 0 picks a free port (the bound address is logged)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l max-grant-duration -d 'Longest grant an admin may create or extend to' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l default-grant-duration -d 'Grant duration when the admin gives none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l max-session-ttl -d 'Longest session a support engineer may open' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l default-session-ttl -d 'Session lifetime when the engineer gives none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l max-sessions-per-engineer -d 'Sessions one support engineer may have active at once, across all orgs: a stolen engineer token cannot flood an org with sessions' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l db-max-connections -d 'Most database connections per server process (on PostgreSQL a quarter of them, at most 8, record authorize decisions; one more listens for notifications)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l db-min-connections -d 'Connections kept open when idle' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l db-acquire-timeout -d 'How long a request waits for a free database connection before it fails with 503' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l request-timeout -d 'Requests taking longer are cut off with 408' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l drain-delay -d 'After SIGTERM, keep serving this long while /readyz answers 503, so load balancers stop sending requests before the server stops accepting them (SIGINT skips it)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l shutdown-timeout -d 'Then give requests in flight this long to finish before closing their connections' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l tls-cert -d 'Serve HTTPS with this PEM certificate chain (needs --tls-key)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l tls-key -d 'The PEM private key of --tls-cert' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l auth-failures-per-minute -d 'Bad tokens a client address may present per minute before it gets 429 (0: no limit)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l client-address-header -d 'Count failures by the client address a load balancer in front puts in this header (e.g. X-Forwarded-For; its right-most address), not by the balancer\'s own. Set it only when every request comes through that balancer' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l account-requests-per-minute -d 'Access requests one account may file per minute, refused ones included, after a burst of 10 seconds\' worth; more get 429 with Retry-After (0: no limit). Each server process counts on its own' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l account-sessions-per-minute -d 'Sessions one account may try to open per minute, refused ones included, after a burst of 10 seconds\' worth; more get 429 with Retry-After (0: no limit). Each server process counts on its own' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l max-connections -d 'Most client connections open at once; more wait in the kernel\'s queue until one closes. Each holds a file descriptor: the default stays well under the usual limit of 1024 open files per process, leaving room for database connections. Raise `ulimit -n` first to go higher' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l reserved-connections -d 'Connection slots only authenticated callers may hold [default: a quarter of --max-connections]. A connection counts as authenticated once a request on it presents a valid token; the others share the rest, and when that is full the oldest of them is closed to make room for a new connection (never one younger than a second)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l max-connections-per-address -d 'Unauthenticated connections one client address (IPv6: its /64) may hold at once; a new one beyond that closes the address\'s oldest (0: no bound). Not applied with --client-address-header, where every connection comes from the balancer' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l write-timeout -d 'A connection whose response waits this long without the client taking a byte of it (an HTTP/2 window of zero, a client that does not read) is closed' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l unauthenticated-connection-lifetime -d 'An unauthenticated connection is closed after this long, in use or not (a request with a valid token lifts this for its connection)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l expiry-warning -d 'How long before a grant expires its `grant.expiring` webhook notification goes out, in orgs whose policy does not set its own (the default of the policy\'s expiry warning)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l webhook-poll-interval -d 'How often this server looks at the webhook outbox when nothing woke it (deliveries enqueued on this server, or announced by another PostgreSQL replica, wake it at once)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l webhook-concurrency -d 'Webhook attempts this server makes at once; 0: none (other replicas deliver)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l metrics-listen -d 'Also serve /metrics, and nothing else, on this address without a token (for Prometheus): meant for loopback or a private network, since whoever reaches it reads the metrics. On --listen, /metrics needs an operator or service token' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l sweep-interval -d 'How often expiries are recorded in the audit log' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l public-url -d 'The URL under which people\'s browsers reach this server: identity providers send them back to <URL>/v1/auth/callback after a sign-in (register that as the redirect URI). Default: the listen address when it is loopback; otherwise needed before a sign-in connector can be added' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l sso-token-ttl -d 'How long an account token from a sign-in (`supportctl login --sso`) stays valid' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l log-format -d 'Log lines as text for people, or as one JSON object per line for log collectors' -r -f -a "text\t'One line of text per event, for people'
json\t'One JSON object per line, its fields at the top level, for log collectors'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l dev -d 'Start a throwaway local server with org `acme` and one account per role, print `export` lines for their tokens on stdout, and leave profiles dev-admin, dev-support, dev-operator and dev-service (tokens in the OS keyring)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l insecure-storage -d 'With --dev: keep the dev profiles\' tokens in a file readable only by you, not in the OS keyring (where there is none)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l allow-http-webhooks -d 'Let webhooks use http:// URLs (implied by --dev)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l allow-private-webhooks -d 'Let webhooks reach loopback, private, link-local, unique-local and other addresses that are not globally routable (implied by --dev). Without it, each attempt checks the address the URL\'s host resolves to'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l no-metrics-recording -d 'Record no metrics: counters stay at zero and requests are not timed (the benchmark\'s baseline)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "init" -d 'Create the schema and the first operator account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "migrate" -d 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "backup" -d 'Copy a SQLite database consistently while its server keeps serving it'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "restore" -d 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "verify" -d 'Verify every audit chain from the database itself, no server needed'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "config" -d 'Print the settings a server would use (each option\'s value and where it came from: flag, environment, config file and line, or default), without starting one'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and not __fish_seen_subcommand_from init migrate backup restore verify config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l email -d 'Email of the first operator' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l check -d 'Only list the migrations this binary would apply (version and name), applying none; exit 0 when there are none, 1 when there are some (for scripts)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l out -d 'The file to write (mode 0600; written under another name, then renamed)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l force -d 'Replace FILE when it exists'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l force -d 'Replace a database that holds orgs or accounts'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s o -l output -d 'Output format; `wide` is a table with more columns [default: table on a terminal, tsv otherwise]' -r -f -a "table\t'Aligned columns with local, relative times (the default on a terminal)'
wide\t'The table with the rarer columns too (created by, engineers, ticket, ...)'
json\t'The API\'s JSON objects; a list is a JSON array (the stable contract for scripts)'
tsv\t'Tab-separated values, no header, RFC 3339 times (the default when piped)'"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l config -d 'Read settings from this TOML file. Its keys are the long option names, its values what the option takes: `listen = "0.0.0.0:8420"`, `max-connections = 512`, `drain-delay = "5s"`, `allow-http-webhooks = true`. An option on the command line wins over its SUPPORTCTL_* variable, which wins over the file, which wins over the default. Every option of `supportctl server` is a key but --config, --dev and --insecure-storage. `supportctl server --config FILE config` shows what a server would use, and from where' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l db -d 'Database: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the XDG data dir]' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l name -d 'Names the key that signs audit checkpoints when this server creates it [default: the host name]. A server whose key exists already must be given its name, or none' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l signing-key -d 'Keep the checkpoint signing key in this file (created, readable by you only, when missing; signed-note private key format) instead of in the database' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l profile -d 'Profile in config.toml to use' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l org -d 'The org to act on, also before the subcommand (`supportctl --org acme grant list`)' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l server -d 'Server URL, overriding the profile\'s' -r
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l color -d 'When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l ca-cert -d 'Also trust the CA certificates in this PEM file (for a server with a private CA)' -r -F
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l json -d 'Same as `-o json`'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s q -l quiet -d 'Print only IDs (or only the token, for `session open`)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s y -l yes -d 'Assume yes at every confirmation'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l no-input -d 'Never prompt; fail instead when something is missing'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s v -l verbose -d 'More log detail on stderr: -v debug (each request\'s method and path, never headers or bodies), -vv trace'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -l allow-insecure-http -d 'Allow sending tokens over plain http:// to hosts other than this machine'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from config" -s V -l version -d 'Print version'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create the schema and the first operator account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Copy a SQLite database consistently while its server keeps serving it'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Verify every audit chain from the database itself, no server needed'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "config" -d 'Print the settings a server would use (each option\'s value and where it came from: flag, environment, config file and line, or default), without starting one'
complete -c supportctl -n "__fish_supportctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "login" -d 'Sign in with your identity provider (--sso), or with a token; store it in the OS keyring'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "logout" -d 'Forget a profile, and its stored token unless another profile of the config uses it'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "status" -d 'Who am I, on which server, with which token; exit 4 if not usable'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "grant" -d 'Grant, list, extend and revoke support access (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "request" -d 'Ask for access and wait (support engineers); approve, deny, review (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "session" -d 'Open, use, list and close support sessions (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "audit" -d 'Read, follow, verify and checkpoint the org\'s audit log (org admins; --vendor: the vendor\'s own log, operators)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "webhook" -d 'Send the org\'s events to your endpoints, signed; see and replay deliveries (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "ticket" -d 'Close a support ticket: the access given for it ends (org admins, services)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "org" -d 'Create, list and disable orgs (operators); show and set an org\'s policy (admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "account" -d 'Create, list and disable accounts (operators)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "sso" -d 'The identity providers people sign in with: sign-in connectors (operators; an org\'s admins for their org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "profile" -d 'List profiles, switch the default one, show the one in use'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "completion" -d 'Print a shell completion script'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "demo" -d 'Walk through the whole workflow on a throwaway local server'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "server" -d 'Run the support-access API server'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and not __fish_seen_subcommand_from login logout status grant request session audit webhook ticket org account sso profile completion demo server help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "create" -d 'Grant the support team access to your org'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "list" -d 'List grants: an admin sees the org\'s, a support engineer those usable by them'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "show" -d 'Show one grant'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "report" -d 'Print a grant\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "extend" -d 'Move an active grant\'s expiry later'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "revoke" -d 'Revoke grants: their sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "acknowledge" -d 'Acknowledge a break-glass grant: you have seen it and accept it'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from grant" -f -a "dispute" -d 'Dispute a break-glass grant: it is revoked at once, its sessions end'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "create" -d 'Ask an org\'s admins for access (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "list" -d 'List requests: an admin sees the org\'s (pending first), an engineer their own'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "show" -d 'Show one request'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "report" -d 'Print a request\'s evidence report, each of its audit events proven'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "approve" -d 'Approve a pending request (org admins); options may narrow it, never widen it'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "deny" -d 'Deny a pending request (org admins); the engineer reads the comment'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "confirm" -d 'Confirm an engineer\'s break-glass request (operators): its grant starts at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "cancel" -d 'Cancel one of your own pending requests (support engineers)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "wait" -d 'Wait for a request\'s decision: exit 0 approved, 6 refused, 8 still pending'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "review" -d 'On a terminal, go through the org\'s pending requests: approve, deny or skip each'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "open" -d 'Open a session in an org; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "exec" -d 'Open a session, run a command with SUPPORTCTL_SESSION_TOKEN set, close the session'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "list" -d 'List sessions: your own as a support engineer, the org\'s as an admin'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "show" -d 'Show one session'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "close" -d 'Close sessions at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from session" -f -a "check" -d 'Is a session token active, and what may it do? Exit 4 if it is not active'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "list" -d 'List the org\'s newest audit events, oldest of them first'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Recompute the hash chain; exit 1 at the first break, saying where'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify-report" -d 'Check an evidence report offline; exit 1 at the first thing that does not hold'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "checkpoint" -d 'Print a checkpoint of the log, signed by the server'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "prove" -d 'Prove that one event is in the log the server signs now'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "key" -d 'Print the server\'s verifier key, which checks its checkpoints (no login needed)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "add" -d 'Send the org\'s events to a URL; prints the signing secret once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "list" -d 'List the org\'s webhooks'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "show" -d 'Show one webhook (its secret is never shown again)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "remove" -d 'Remove a webhook and its pending deliveries'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "test" -d 'Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "deliveries" -d 'A webhook\'s deliveries: status, attempts, last HTTP status or error, next attempt'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "redeliver" -d 'Send a delivery\'s message again (same webhook-id)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "rotate-secret" -d 'A new signing secret; the old one also signs for 24 hours, unless `--now`'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from ticket" -f -a "close" -d 'Close a ticket: revoke the org\'s active grants with it (ending their sessions) and cancel its pending requests, all at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from org" -f -a "create" -d 'Create an org'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from org" -f -a "list" -d 'List orgs'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from org" -f -a "disable" -d 'Disable an org: its admins are locked out and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from org" -f -a "policy" -d 'Show the org\'s own policy, or change it with `set` (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from org" -f -a "rule" -d 'Auto-approval rules: requests entirely inside one are approved when filed (org admins)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "create" -d 'Create an account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "list" -d 'List accounts'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "disable" -d 'Disable an account: its token stops working and its open sessions end at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "rotate-token" -d 'Replace an account\'s token; the old one stops working at once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "connector" -d 'Add, list, show and remove sign-in connectors: the vendor\'s (operators) or an org\'s (its admins, with --org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List the profiles; `*` marks the one in use'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "use" -d 'Make a profile the default for later commands (and set its default org)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "current" -d 'Print the profile in use, and why (flag, environment or config)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "init" -d 'Create the schema and the first operator account; prints its token once'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "migrate" -d 'Apply the schema migrations this binary brings (`--check`: list them, exit 1 if any)'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "backup" -d 'Copy a SQLite database consistently while its server keeps serving it'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "restore" -d 'Restore a backup of `server backup` into a SQLite database, with `audit.restored` in every chain'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "verify" -d 'Verify every audit chain from the database itself, no server needed'
complete -c supportctl -n "__fish_supportctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "config" -d 'Print the settings a server would use (each option\'s value and where it came from: flag, environment, config file and line, or default), without starting one'
