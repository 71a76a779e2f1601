# GET {mount}{slug}/can-start (and HEAD).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 28;

my $on   = seed_cron('cs-active', 1);
my $off  = seed_cron('cs-inactive', 0);
my $sp   = seed_cron('cs-with space', 1);
my $utf  = seed_cron("cs-\xC3\xA9t\xC3\xA9", 1);          # "cs-été", UTF-8
my $num  = seed_cron('770077007700', 1);                   # a slug of digits
my $flip = seed_cron('cs-toggle', 1);
my $quote = seed_cron('cs-"q"\\x', 1);                  # cs-"q"\x
my $ctl  = seed_cron("cs-\x01ctl", 1);

my @keys = (keys => [qw(slug canStart cronId)], numbers => ['cronId']);

sub can_start_ok {
    my ($path, $slug, $id, $can, $name) = @_;
    my $res = req(GET => $path, key => KEY_CLEAR);
    my $d = ok_json($res, $name, @keys,
                    fields => { slug => $slug, cronId => $id });
    return $d;
}

sub is_bool {
    my ($v, $want, $name) = @_;
    ok(JSON::is_bool($v) && ($v ? 1 : 0) == $want, $name)
        or diag('canStart is ' . (defined $v ? "'$v'" : 'absent')
                . ', expected JSON ' . ($want ? 'true' : 'false'));
}

# ---- active / inactive (4)
my $d = can_start_ok('/api/cs-active/can-start', 'cs-active', $on, 1,
                     'active cron: 200 {slug, canStart, cronId}');
is_bool($d->{canStart}, 1, 'active cron: canStart is JSON true');
$d = can_start_ok('/api/cs-inactive/can-start', 'cs-inactive', $off, 0,
                  'inactive cron: 200');
is_bool($d->{canStart}, 0, 'inactive cron: canStart is JSON false');

# ---- the answer follows the database at once (4)
set_active($flip, 0);
$d = can_start_ok('/api/cs-toggle/can-start', 'cs-toggle', $flip, 0,
                  'cron switched off in the database');
is_bool($d->{canStart}, 0, 'canStart false right after the switch');
set_active($flip, 1);
$d = can_start_ok('/api/cs-toggle/can-start', 'cs-toggle', $flip, 1,
                  'cron switched back on');
is_bool($d->{canStart}, 1, 'canStart true right after the switch');

# ---- unknown slugs, exact matching (5)
ok_problem(req(GET => '/api/cs-no-such-cron/can-start', key => KEY_CLEAR),
           404, 'unknown slug: 404');
ok_problem(req(GET => '/api/CS-ACTIVE/can-start', key => KEY_CLEAR),
           404, 'slug in another case: 404 (matched exactly)');
ok_problem(req(GET => '/api/cs-active%20/can-start', key => KEY_CLEAR),
           404, 'slug with a trailing space: 404 (matched exactly)');
ok_problem(req(GET => '/api/cs-activ/can-start', key => KEY_CLEAR),
           404, 'prefix of a slug: 404');
ok_problem(req(GET => '/api/cs-%25/can-start', key => KEY_CLEAR),
           404, "'cs-%' is not a pattern: 404");

# ---- percent-decoding (3)
can_start_ok('/api/cs-with%20space/can-start', 'cs-with space', $sp, 1,
             'slug with a space, percent-encoded');
can_start_ok('/api/cs-%C3%A9t%C3%A9/can-start', "cs-\x{e9}t\x{e9}", $utf, 1,
             'UTF-8 slug, percent-encoded');
can_start_ok('/api/%63s-active/can-start', 'cs-active', $on, 1,
             'needlessly percent-encoded letters are decoded');

# ---- slugs that need escaping in JSON, odd bytes, long slugs (4)
can_start_ok('/api/cs-%22q%22%5Cx/can-start', 'cs-"q"\\x', $quote, 1,
             'slug with a quote and a backslash: echoed as valid JSON');
can_start_ok('/api/cs-%01ctl/can-start', "cs-\x01ctl", $ctl, 1,
             'slug with a control character: echoed as valid JSON');
ok_problem(req(GET => '/api/cs-%FF%FE/can-start', key => KEY_CLEAR), 404,
           'slug that is not UTF-8: 404, and the answer is valid JSON');
ok_problem(req(GET => '/api/' . ('s' x 1000) . '/can-start', key => KEY_CLEAR),
           404, 'slug of 1000 characters: 404');

# ---- a slug made of digits is a slug, not an id (1)
can_start_ok('/api/770077007700/can-start', '770077007700', $num, 1,
             'digits-only slug is looked up as a slug');

# ---- HEAD: same status, no body, creates nothing (5)
my $before = count_all_executions();
ok_head(req(HEAD => '/api/cs-active/can-start', key => KEY_CLEAR), 200,
        'HEAD on an active cron: 200, no body');
ok_head(req(HEAD => '/api/cs-inactive/can-start', key => KEY_CLEAR), 200,
        'HEAD on an inactive cron: 200, no body');
ok_head(req(HEAD => '/api/cs-no-such-cron/can-start', key => KEY_CLEAR), 404,
        'HEAD on an unknown slug: 404, no body');
ok_head(req(HEAD => '/api/cs-active/can-start'), 401,
        'HEAD without key: 401, no body');

# can-start is read-only
for (1 .. 3) {
    req(GET => '/api/cs-active/can-start', key => KEY_CLEAR);
}
is(count_all_executions(), $before, 'can-start (GET and HEAD) created no execution');

# ---- query strings are not part of the route (1)
can_start_ok('/api/cs-active/can-start?x=1&slug=cs-inactive', 'cs-active', $on,
             1, 'a query string is ignored');

# ---- keys never echoed (1)
no_leak_ok();
