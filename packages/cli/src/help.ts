/** Usage text: one page per command, plus the overview. Kept next to args.ts, which it mirrors. */
import { type CommandName, DEFAULT_SERVER } from './args.ts';
import { EXIT } from './exit-codes.ts';

const COMMON_OPTIONS = `Common options:
  -s, --server URL     Parley server (default ${DEFAULT_SERVER}, or $PARLEY_SERVER)
  -n, --name NAME      our name on the server (default: a generated one)
      --token JWT      access token, when the server requires one
      --json           machine-readable output: one JSON object per line
      --bind ADDRESS   local address for peer-to-peer traffic (default: every interface)
  -v, --verbose        log signaling and negotiation steps to stderr
  -h, --help           show help for the command`;

const EXIT_CODES = `Exit codes:
  ${EXIT.OK}  ok                      ${EXIT.SIGNALING}  server unreachable, refused or lost
  ${EXIT.INTERNAL}  unexpected error        ${EXIT.PEER}  peer/room not found, or declined
  ${EXIT.USAGE}  bad command line        ${EXIT.TRANSFER}  transfer failed or SHA-256 mismatch
                            ${EXIT.CONNECTIVITY}  no peer-to-peer path (ICE/TURN failed)
  ${EXIT.INTERRUPTED} interrupted (Ctrl-C)`;

export const OVERVIEW = `parley — files, chat and checks over Parley (WebRTC), from the command line

Usage:
  parley send FILE... (--to NAME | --room ROOM) [options]
  parley receive [--dir DIR] [--yes] [options]
  parley chat --room ROOM [options]
  parley check [options]
  parley pipe (--to NAME | --from NAME | --room ROOM) [options]
  parley help [COMMAND]

Commands:
  send       send files peer-to-peer to a named peer or to everyone in a room
  receive    wait for files and save them (asks first, unless --yes)
  chat       chat in a room: interactive on a terminal, line by line from stdin otherwise
  check      check the server, STUN and the TURN relay
  pipe       stdin/stdout over an app data channel with a peer or a room

${COMMON_OPTIONS}

${EXIT_CODES}

See docs/CLI.md for the JSON lines format and more examples.`;

const PAGES: Record<CommandName, string> = {
  send: `Usage: parley send FILE... (--to NAME | --room ROOM) [options]

Sends files peer-to-peer; the server only introduces the peers. Each file is checked with
SHA-256 on arrival. With --room, the files go to every member present when we join (waiting
for the first one to arrive, up to --timeout).

Options:
  -t, --to NAME        send to the peer with this name (it runs "parley receive" or the web app)
  -r, --room ROOM      send to every member of ROOM
      --password PW    the room's password
      --timeout S      how long to wait for the peer and for an answer (default 120)

Examples:
  parley send report.pdf --to alice
  parley send *.jpg --room team --server https://parley.example.org

${COMMON_OPTIONS}

${EXIT_CODES}`,
  receive: `Usage: parley receive [--dir DIR] [--yes] [options]

Waits for incoming files and saves them in DIR. On a terminal each offer is confirmed with a
prompt; otherwise offers are declined unless --yes is given. A file is written under a
temporary name and renamed only once its SHA-256 matches. Runs until Ctrl-C, --count files
or --timeout seconds without an offer.

Options:
  -d, --dir DIR        where to save files (default: the current directory)
  -y, --yes            accept every offer without asking
  -r, --room ROOM      also join ROOM, so "parley send --room ROOM" reaches us
      --password PW    the room's password
      --from NAME      accept files only from this peer (others are declined)
      --count N        exit after N files have been received
      --timeout S      exit (code ${EXIT.PEER}) if no offer arrives within S seconds
      --overwrite      replace existing files instead of saving as "name (1).ext"

Examples:
  parley receive --name alice --dir ~/Downloads
  parley receive --name bot --yes --count 1 --json

${COMMON_OPTIONS}

${EXIT_CODES}`,
  chat: `Usage: parley chat --room ROOM [options]

Joins ROOM and prints its messages as "<name>: <text>". On a terminal you type messages at a
prompt; otherwise every line read from stdin is sent, and the command exits when stdin ends
(so a bot can pipe into it). With --json, incoming messages are JSON lines on stdout.

Options:
  -r, --room ROOM      the room to chat in
      --password PW    the room's password

Examples:
  parley chat --room team --name carol
  echo "deploy finished" | parley chat --room ops --name ci-bot

${COMMON_OPTIONS}

${EXIT_CODES}`,
  pipe: `Usage: parley pipe (--to NAME | --from NAME | --room ROOM) [options]

Connects stdin and stdout to an app data channel (reliable, ordered) that a browser app opens
with call.channel(LABEL) or room.channel(LABEL). --to calls NAME, --from waits for NAME's call,
--room speaks to every member of ROOM. stdin goes out in binary messages; what arrives is
written to stdout (binary as is, strings as text, JSON values as a JSON line). At the end of
stdin the command waits for the channel to drain, then exits.

Options:
  -t, --to NAME        call NAME
      --from NAME      wait for a call from NAME
  -r, --room ROOM      join ROOM
      --password PW    the room's password
  -c, --channel LABEL  the channel's label (default "pipe")
      --lines          send each stdin line as a string message; print strings as lines
      --json           print each message as a JSON line: {type, from, kind, data}

Examples:
  tar c dir | parley pipe --to bob --name alice
  parley pipe --from alice --name bob | tar x
  parley pipe --room game --channel moves --lines --json --name bot

${COMMON_OPTIONS}

${EXIT_CODES}`,
  check: `Usage: parley check [options]

Checks, in order: the signaling server (connect and log in), STUN (the server's STUN
addresses answer), and the TURN relay (two local peers connect with relay-only ICE through the
server's TURN servers and exchange data). Like the web app's self-test. Exit code ${EXIT.SIGNALING}
when the server fails, ${EXIT.CONNECTIVITY} when STUN or TURN fails.

Options:
      --timeout S      time allowed for each check (default 10)

Examples:
  parley check --server https://parley.example.org
  parley check --json

${COMMON_OPTIONS}

${EXIT_CODES}`,
};

/** The help page for `topic`, or the overview. */
export function helpText(topic?: CommandName): string {
  return topic ? PAGES[topic] : OVERVIEW;
}
