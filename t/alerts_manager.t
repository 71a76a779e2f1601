# The manager's alerts (docs/MANAGER.md, "Alerts"): a cron's alert state
# and policy on its page, the policy form (valid values written, invalid
# ones refused with nothing changed), the mute buttons, the alerts page
# (channels shown redacted, events newest first and paged, each delivery's
# state), the test-alert button, and the CSRF checks of every one of those
# forms.  Events and deliveries are seeded by SQL on channels the server
# does not have, so that no watchdog touches them.
use strict;
use warnings;
use utf8;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use CharonAlertSeed;
use HTML::TreeBuilder ();
use MIME::Base64 ();
use URI ();
use URI::Escape ();

plan tests => 66;

my $M = '/charon-manager';
my @SEED_CHANNELS = ('am-seed-hook', 'am-seed-mail', '"><b>am-evil');

# ------------------------------------------------------------- helpers

sub auth {
    return (Authorization => 'Basic '
            . MIME::Base64::encode_base64('operator:operator-test-pw', ''));
}

sub origin {
    my $u = URI->new(Apache::TestRequest::resolve_url('/'));
    return $u->scheme . '://' . $u->host_port;
}

sub tree {
    my ($res) = @_;
    my $t = HTML::TreeBuilder->new;
    $t->ignore_unknown(0);
    $t->implicit_tags(0);
    $t->parse($res->decoded_content // '');
    $t->eof;
    return $t;
}

# What could run script, on any page seen: reported once (safe_ok).
my @UNSAFE;

sub check_safe {
    my ($res, $what) = @_;
    return unless ($res->header('Content-Type') // '') =~ m{^text/html};
    my $t = tree($res);
    for my $e ($t->look_down(sub { 1 })) {
        my $tag = lc $e->tag;
        push @UNSAFE, "$what: <$tag>"
            if $tag =~ /^(script|img|iframe|frame|object|embed|link|base)$/;
        push @UNSAFE, "$what: <$tag $_>"
            for grep { /^on/i } $e->all_external_attr_names;
    }
    $t->delete;
}

sub mget {
    my ($query) = @_;
    my $res = req(GET => $M . ($query // ''), headers => [auth()]);
    check_safe($res, 'GET ' . ($query // ''));
    return $res;
}

sub form_body {
    my @f = @_;
    my @out;
    while (my ($k, $v) = splice @f, 0, 2) {
        push @out, URI::Escape::uri_escape_utf8($k) . '='
                 . URI::Escape::uri_escape_utf8($v // '');
    }
    return join '&', @out;
}

# mpost([field => value, ...], origin => ...): as the page's form sends it.
sub mpost {
    my ($fields, %o) = @_;
    my @h = auth();
    my $origin = exists $o{origin} ? $o{origin} : origin();
    push @h, Origin => $origin if defined $origin;
    my $res = req(POST => $M, body => form_body(@$fields),
                  ctype => 'application/x-www-form-urlencoded',
                  headers => \@h);
    check_safe($res, 'POST');
    return $res;
}

# The nonce of a form of the page (by id, or the first holding a field).
sub nonce_of {
    my ($res, %by) = @_;
    my $t = tree($res);
    my $f = $by{id}
        ? $t->look_down(_tag => 'form', id => $by{id})
        : $t->look_down(_tag => 'form', sub {
              $_[0]->look_down(_tag => 'input', name => 'channel',
                               value => $by{channel}) });
    my $in = $f && $f->look_down(_tag => 'input', name => 'nonce');
    my $v = $in && $in->attr('value');
    $t->delete;
    return $v;
}

# One test: an HTML page with this status, as every manager page is sent.
sub ok_page {
    my ($res, $status, $name) = @_;
    my @err;
    push @err, 'status ' . $res->code . ", expected $status"
        unless $res->code == $status;
    push @err, 'Content-Type ' . ($res->header('Content-Type') // '')
        unless ($res->header('Content-Type') // '') eq 'text/html; charset=utf-8';
    push @err, 'no CSP' unless ($res->header('Content-Security-Policy') // '')
        =~ /default-src 'none'/;
    ok(!@err, $name) or diag join("\n", @err) . "\n"
        . substr($res->content // '', 0, 800);
}

# text of the first element matching, or undef.
sub text_of {
    my ($res, @look) = @_;
    my $t = tree($res);
    my $e = $t->look_down(@look);
    my $s = $e ? $e->as_text : undef;
    $t->delete;
    return $s;
}

sub attr_of {
    my ($res, $attr, @look) = @_;
    my $t = tree($res);
    my $e = $t->look_down(@look);
    my $s = $e ? $e->attr($attr) : undef;
    $t->delete;
    return $s;
}

# The datetime of the first <time> inside the element found.
sub time_in {
    my ($res, @look) = @_;
    my $t = tree($res);
    my $e = $t->look_down(@look);
    my $tm = $e && $e->look_down(_tag => 'time');
    my $s = $tm ? $tm->attr('datetime') : undef;
    $t->delete;
    return $s;
}

sub has_elem {
    my ($res, @look) = @_;
    my $t = tree($res);
    my $e = $t->look_down(@look);
    $t->delete;
    return $e ? 1 : 0;
}

sub policy_row {
    my ($id) = @_;
    my $r = dbh()->selectrow_hashref(
        'SELECT failure_threshold, recovery_threshold, realert_every, '
      . 'mute_until FROM charon_cron WHERE id = ?', undef, $id);
    return $r;
}

sub policy_is {
    my ($id, $f, $r, $re, $name) = @_;
    my $p = policy_row($id);
    my $got = join '|', map { $_ // 'NULL' }
        @$p{qw(failure_threshold recovery_threshold realert_every)};
    is($got, join('|', $f, $r, $re // 'NULL'), $name);
}

sub mute_epoch { ts_epoch(policy_row($_[0])->{mute_until}) }

# A change to cron $id through its page's form $form.
sub change {
    my ($id, $form, @fields) = @_;
    my $nonce = nonce_of(mget("?cron=$id"), id => $form);
    my %f = @fields;
    my $action = delete $f{action};
    return mpost([nonce => $nonce, action => $action, cron => $id, %f]);
}

sub purge_test_events {
    my ($uids) = @_;
    for my $uid (@$uids) {
        my ($id) = dbh()->selectrow_array(
            'SELECT id FROM charon_alert_event WHERE uid = ?', undef, $uid);
        purge_alert_rows([], [$id]) if $id;
    }
}

# ------------------------------------------------------------- set-up

purge_alert_rows(\@SEED_CHANNELS, []);
my $c = seed_cron('am-policy', 1, 'Alert policy cron');

# ------------------------------------------------------------- a cron's page

my $res = mget("?cron=$c");
ok_page($res, 200, "a cron's page: 200");
is(attr_of($res, 'data-alert-state', class => qr/\balert-state\b/), 'up',
   'a cron without an alert state row is up');
is(text_of($res, class => 'streak'), 'no bad run in a row (down after 1)',
   'its streak, against the default failure threshold');
is(text_of($res, class => 'alert-policy'),
   'down after 1 bad run in a row, up after 1 good one; no alert again '
 . 'while down', 'the default policy in words');
is(attr_of($res, 'data-muted', _tag => 'span', class => 'mute'), '0',
   'not muted');
ok(has_elem($res, _tag => 'form', id => 'mute-hour')
   && has_elem($res, _tag => 'form', id => 'mute-day')
   && !has_elem($res, _tag => 'form', id => 'unmute'),
   'mute for 1 h and 1 day offered; unmute only while muted');
is(join('|', map { attr_of($res, 'value', _tag => 'input', name => $_) // '?' }
             qw(failure_threshold recovery_threshold realert_every)),
   '1|1|', 'the policy form holds the cron\'s values');

seed_alert_state($c, state => 'down', bad => 4, good => 1, changed_ago => 600,
                 alerted_ago => 600);
my $changed = dbh()->selectrow_array(
    'SELECT changed_at FROM charon_cron_alert WHERE cron_id = ?', undef, $c);
$res = mget("?cron=$c");
is(attr_of($res, 'data-alert-state', class => qr/\balert-state\b/), 'down',
   'a cron whose state row says down is down');
my $since = time_in($res, _tag => 'dl', id => 'alert-state');
is($since, iso_z(ts_epoch($changed)), 'since its change of state (UTC)');
is(text_of($res, class => 'streak'), '1 good run in a row (up after 1)',
   'while down, the good runs in a row are counted against recovery');

# An alert's link to its cron (CharonManagerURL + /cron/ID).
$res = req(GET => "$M/cron/$c", headers => [auth()]);
ok($res->code == 303 && ($res->header('Location') // '') eq "$M?cron=$c",
   'an alert\'s link, <mount>/cron/ID: 303 to the cron\'s page')
    or diag $res->status_line . ' ' . ($res->header('Location') // '');
$res = mget('/cron/x1');
ok($res->code == 200 && !defined $res->header('Location'),
   'another path under the mount is no such link') or diag $res->status_line;

# ------------------------------------------------------------- the policy form

$res = change($c, 'alert-policy', action => 'alert-policy',
              failure_threshold => ' 3 ', recovery_threshold => '2',
              realert_every => '1h');
ok($res->code == 303 && ($res->header('Location') // '')
       =~ /\?cron=\Q$c\E&done=alert-policy$/,
   'alert-policy: 303 to the cron\'s page')
    or diag $res->status_line . ' ' . ($res->header('Location') // '')
          . "\n" . substr($res->content // '', 0, 600);
policy_is($c, 3, 2, 3600, 'the thresholds and realert (1h: 3600 s) written');
$res = mget("?cron=$c&done=alert-policy");
like(text_of($res, class => 'notice') // '', qr/alert policy was changed/,
     'the page says so');
is(text_of($res, class => 'alert-policy'),
   'down after 3 bad runs in a row, up after 2 good ones; a down alert '
 . 'again every 1 h 00 min while down', 'and shows the new policy');

$res = change($c, 'alert-policy', action => 'alert-policy',
              failure_threshold => '3', recovery_threshold => '2',
              realert_every => '');
policy_is($c, 3, 2, undef, 'realert_every empty: off (NULL)');
change($c, 'alert-policy', action => 'alert-policy', failure_threshold => '3',
       recovery_threshold => '2', realert_every => '7200');
$res = change($c, 'alert-policy', action => 'alert-policy',
              failure_threshold => '3', recovery_threshold => '2',
              realert_every => '0');
policy_is($c, 3, 2, undef, 'realert_every 0: off (NULL)');

# Refused: the form again, with the message, the field and what was sent.
for my $bad (
    [failure_threshold => '0', 'failure_threshold', 'a failure threshold of 0'],
    [failure_threshold => '1001', 'failure_threshold', 'one of 1001'],
    [recovery_threshold => 'abc', 'recovery_threshold', 'a recovery threshold "abc"'],
    [realert_every => '30', 'realert_every', 'realert every 30 s'],
    [realert_every => '366d', 'realert_every', 'realert every 366 d'],
) {
    my ($k, $v, $field, $what) = @$bad;
    my %f = (failure_threshold => '5', recovery_threshold => '5',
             realert_every => '2h', $k => $v);
    $res = change($c, 'alert-policy', action => 'alert-policy', %f);
    my @err;
    push @err, 'status ' . $res->code unless $res->code == 400;
    push @err, 'data-field ' . (attr_of($res, 'data-field', class => 'error') // 'none')
        unless (attr_of($res, 'data-field', class => 'error') // '') eq $field;
    push @err, 'field not marked' unless (attr_of($res, 'aria-invalid',
        _tag => 'input', name => $field) // '') eq 'true';
    push @err, 'value not kept' unless (attr_of($res, 'value', _tag => 'input',
        name => $k) // '') eq $v;
    my $p = policy_row($c);
    push @err, 'changed: ' . join('|', map { $_ // 'NULL' }
        @$p{qw(failure_threshold recovery_threshold realert_every)})
        unless $p->{failure_threshold} == 3 && $p->{recovery_threshold} == 2
            && !defined $p->{realert_every};
    ok(!@err, "$what: 400, the form again with the field marked, nothing "
            . 'changed') or diag join "\n", @err;
}

# ------------------------------------------------------------- mute

my $t0 = db_now();
$res = change($c, 'mute-hour', action => 'mute', for => '1h');
ok($res->code == 303 && ($res->header('Location') // '') =~ /done=mute$/,
   'mute for 1 h: 303') or diag $res->status_line;
my $mu = mute_epoch($c);
ok(defined $mu && abs($mu - ($t0 + 3600)) < 60,
   'mute_until: an hour from the database\'s now')
    or diag 'mute_until ' . (policy_row($c)->{mute_until} // 'NULL');
$res = mget("?cron=$c&done=mute");
ok(attr_of($res, 'data-muted', _tag => 'span', class => 'mute') eq '1'
   && has_elem($res, _tag => 'form', id => 'unmute')
   && (time_in($res, _tag => 'span', class => 'mute') // '') eq iso_z($mu),
   'the page shows it muted until then, with the unmute button');

$res = change($c, 'mute-day', action => 'mute', for => '1d');
$mu = mute_epoch($c);
ok($res->code == 303 && defined $mu && abs($mu - ($t0 + 86400)) < 60,
   'mute for 1 day: a day from now') or diag $res->status_line;

my $before = policy_row($c)->{mute_until};
$res = change($c, 'mute-day', action => 'mute', for => '10s');
ok($res->code == 400 && (attr_of($res, 'data-field', class => 'error') // '') eq 'for'
   && policy_row($c)->{mute_until} eq $before,
   'a mute of 10 s: 400, nothing changed') or diag $res->status_line;

# CSRF: no nonce, a forged nonce, another origin: 403, nothing changed.
$res = mpost([action => 'unmute', cron => $c]);
is($res->code, 403, 'unmute without a nonce: 403');
$res = mpost([nonce => (time) . '-' . ('0' x 64), action => 'unmute',
              cron => $c]);
is($res->code, 403, 'unmute with a forged nonce: 403');
$res = mpost([nonce => nonce_of(mget("?cron=$c"), id => 'unmute'),
              action => 'unmute', cron => $c],
             origin => 'http://evil.example');
is($res->code, 403, 'unmute from another origin: 403');
is(policy_row($c)->{mute_until}, $before, 'and the cron is still muted');
$res = mpost([action => 'alert-policy', cron => $c, failure_threshold => 9,
              recovery_threshold => 9, realert_every => '']);
ok($res->code == 403, 'alert-policy without a nonce: 403');
policy_is($c, 3, 2, undef, 'and the policy is unchanged');
$res = mpost([action => 'mute', cron => $c, for => '1h',
              nonce => nonce_of(mget("?cron=$c"), id => 'mute-hour')],
             origin => 'null');
ok($res->code == 403 && policy_row($c)->{mute_until} eq $before,
   'mute with Origin null: 403, nothing changed');

$res = change($c, 'unmute', action => 'unmute');
ok($res->code == 303 && !defined policy_row($c)->{mute_until},
   'unmute: 303, mute_until NULL') or diag $res->status_line;
$res = mget("?cron=$c");
ok(attr_of($res, 'data-muted', _tag => 'span', class => 'mute') eq '0'
   && !has_elem($res, _tag => 'form', id => 'unmute'),
   'the page shows it unmuted, without the unmute button');

$res = mpost([nonce => nonce_of(mget("?cron=$c"), id => 'mute-hour'),
              action => 'mute', cron => 999_999_999, for => '1h']);
is($res->code, 404, 'mute of a cron that does not exist: 404');

# ------------------------------------------------------------- the alerts page

$res = mget('');
is(attr_of($res, 'href', _tag => 'a', id => 'nav-alerts'), "$M?alerts",
   'the navigation links to the alerts page');

$res = mget('?alerts');
ok_page($res, 200, 'the alerts page: 200');
my $body = $res->decoded_content // '';
ok(has_elem($res, _tag => 'tr', 'data-channel' => 'mgrtest')
   && text_of($res, _tag => 'tr', 'data-channel' => 'mgrtest') =~
       m{^mgrtest\s*file\s*file:/\S+/logs/manager-alerts\.jsonl\s*Send a test alert$},
   'a channel: its name, kind and URL, and a test button')
    or diag text_of($res, _tag => 'tr', 'data-channel' => 'mgrtest');
ok(has_elem($res, _tag => 'tr', 'data-channel' => 'mgrsecret')
   && index($body, 'mgr-secret-token') < 0,
   'a URL holding a secret is shown redacted, never as written')
    or diag text_of($res, _tag => 'tr', 'data-channel' => 'mgrsecret');

# Events: 52 older ones, then four to look at, and a hostile one.
my $cp = seed_cron('am-page', 1);
my $evil = seed_cron('am-<script>alert(1)</script>', 1);
my @filler = map { (seed_event(cron => $cp, event => 'realert',
                               ago => 3600 - $_))[0] } 1 .. 52;
my ($e1) = seed_event(cron => $cp, event => 'down', ago => 300);
my $d1 = seed_delivery($e1, 'am-seed-hook', state => 'pending', attempts => 3,
                       due_in => 120, ago => 300, error => 'HTTP 500');
seed_delivery($e1, 'am-seed-mail', state => 'delivered', attempts => 1,
              delivered_ago => 30, ago => 300);
my ($e2) = seed_event(cron => $cp, event => 'up', ago => 200);
seed_delivery($e2, 'am-seed-hook', state => 'given_up', attempts => 7,
              ago => 200, error => 'connection refused');
my ($e3) = seed_event(cron => $cp, event => 'down', muted => 1, ago => 100);
my ($e4, $u4) = seed_event(cron => undef, event => 'test', ago => 50);
seed_delivery($e4, 'am-seed-hook', state => 'pending', ago => 50);
my ($e5) = seed_event(cron => $evil, event => 'down', ago => 10);
seed_delivery($e5, '"><b>am-evil', state => 'given_up', attempts => 1,
              error => '<img src=x onerror=alert(1)>');

# Rows of table#events: [id, text of each cell, deliveries by channel].
sub event_rows {
    my ($res) = @_;
    my $t = tree($res);
    my $table = $t->look_down(_tag => 'table', id => 'events');
    my @rows;
    for my $tr ($table ? $table->look_down(_tag => 'tr', sub {
                     defined $_[0]->attr('data-event-id') }) : ()) {
        my %r = (id => $tr->attr('data-event-id'),
                 event => $tr->attr('data-event'), uid => $tr->attr('data-uid'));
        for my $col (qw(slug event mute deliveries)) {
            my $td = $tr->look_down(_tag => 'td',
                                    class => qr/(^|\s)\Q$col\E(\s|$)/);
            $r{$col} = $td ? $td->as_text : undef;
            $r{muted} = $td->attr('data-muted') if $col eq 'mute' && $td;
        }
        my $a = $tr->look_down(_tag => 'a', class => qr/\bcron-link\b/);
        $r{href} = $a && $a->attr('href');
        $r{d} = { map { $_->attr('data-channel') =>
                            { state => $_->attr('data-state'),
                              text => $_->as_text } }
                  $tr->look_down(_tag => 'li', class => qr/\bdelivery\b/) };
        push @rows, \%r;
    }
    my $next = $t->look_down(_tag => 'a', rel => 'next');
    my $href = $next && $next->attr('href');
    $t->delete;
    return (\@rows, $href);
}

$res = mget('?alerts');
my ($rows, $next) = event_rows($res);
my %by = map { $_->{id} => $_ } @$rows;
my @mine = grep { $by{$_} } ($e5, $e4, $e3, $e2, $e1);
is_deeply([ map { $_->{id} } grep { my $i = $_->{id};
                                    grep { $_ == $i } $e1, $e2, $e3, $e4, $e5 }
            @$rows ], [$e5, $e4, $e3, $e2, $e1], 'events newest first');
is(scalar @$rows, 50, 'fifty events a page');
my $r1 = $by{$e1} || {};
ok(($r1->{slug} // '') eq 'am-page' && ($r1->{href} // '') eq "$M?cron=$cp"
   && $r1->{event} eq 'down',
   'an event: its cron (linked to its page) and what it was')
    or diag explain $r1;
like($r1->{d}{'am-seed-hook'}{text} // '',
     qr/^am-seed-hook \(no such channel here\): pending, 3 attempts, next try \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s*last error: HTTP 500$/,
     'a pending delivery: its attempts, next try and last error');
is($r1->{d}{'am-seed-hook'}{state}, 'pending', 'marked pending');
like($r1->{d}{'am-seed-mail'}{text} // '',
     qr/: delivered \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(1 attempt\)$/,
     'a delivered one: when');
my $r2 = $by{$e2} || {};
ok(($r2->{d}{'am-seed-hook'}{state} // '') eq 'given-up'
   && ($r2->{d}{'am-seed-hook'}{text} // '')
       =~ /given up after 7 attempts\s*last error: connection refused$/,
   'a delivery given up: after how many attempts, and the last error')
    or diag explain $r2->{d};
my $r3 = $by{$e3} || {};
ok(($r3->{muted} // '') eq '1' && ($r3->{deliveries} // '') eq 'none: muted',
   'a muted event: marked, no delivery') or diag explain $r3;
my $r4 = $by{$e4} || {};
ok(($r4->{event} // '') eq 'test' && !defined $r4->{href}
   && ($r4->{uid} // '') eq $u4,
   'a test event: no cron, its event id') or diag explain $r4;
my $r5 = $by{$e5} || {};
ok(($r5->{slug} // '') eq 'am-<script>alert(1)</script>'
   && exists $r5->{d}{'"><b>am-evil'}
   && ($r5->{d}{'"><b>am-evil'}{text} // '') =~ /last error: <img src=x onerror=alert\(1\)>$/,
   'hostile slug, channel and error shown as text')
    or diag explain $r5;

# The next page: older events only, the oldest filler among them.
ok($next && $next =~ /^\Q$M\E\?alerts&before=(\d+)$/ && $1 == $rows->[-1]{id},
   'an "older" link after the last event shown') or diag $next // 'none';
my ($rows2) = event_rows(mget(($next // '') =~ s/^\Q$M\E//r));
ok(@$rows2 && !grep({ $_->{id} >= $rows->[-1]{id} } @$rows2)
   && grep({ $_->{id} == $filler[0] } @$rows2),
   'the next page: the older events, down to the first')
    or diag 'ids: ' . join ' ', map { $_->{id} } @$rows2;
is(mget('?alerts&before=x')->code, 400, 'before must be an id: 400');

# ------------------------------------------------------------- test alerts

sub test_events {
    my ($n) = dbh()->selectrow_array(
        q{SELECT COUNT(*) FROM charon_alert_event e WHERE e.event = 'test' }
      . q{AND EXISTS (SELECT 1 FROM charon_alert_delivery d WHERE }
      . q{d.event_id = e.id AND d.channel = 'mgrtest')});
    return $n;
}

my @uids;
my $n0 = test_events();
my $nonce = nonce_of(mget('?alerts'), channel => 'mgrtest');
$res = mpost([nonce => $nonce, action => 'alert-test', channel => 'mgrtest']);
my ($uid) = ($res->header('Location') // '')
    =~ /^\Q$M\E\?alerts&done=alert-test&channel=mgrtest&event=([0-9a-f-]{36})$/;
ok($res->code == 303 && $uid, 'send a test alert: 303 to the alerts page')
    or diag $res->status_line . ' ' . ($res->header('Location') // '');
push @uids, $uid if $uid;
my $ev = $uid && dbh()->selectrow_hashref(
    'SELECT id, cron_id, event FROM charon_alert_event WHERE uid = ?', undef,
    $uid);
ok($ev && $ev->{event} eq 'test' && !defined $ev->{cron_id},
   'a test event is recorded, for no cron') or diag explain $ev;
my $dl = $ev && dbh()->selectall_arrayref(
    'SELECT channel, state FROM charon_alert_delivery WHERE event_id = ?',
    { Slice => {} }, $ev->{id});
ok($dl && @$dl == 1 && $dl->[0]{channel} eq 'mgrtest'
   && $dl->[0]{state} =~ /^(pending|delivered)$/,
   'with one delivery, to that channel only (pending, or delivered since)')
    or diag explain $dl;
$res = mget(($res->header('Location') // '') =~ s/^\Q$M\E//r);
ok((text_of($res, class => 'notice') // '') =~ /test alert \(event \Q$uid\E\) was queued for the channel mgrtest/
   && has_elem($res, _tag => 'tr', 'data-uid' => $uid),
   'the page says so, and lists the event') or diag text_of($res, class => 'notice');

$res = mpost([action => 'alert-test', channel => 'mgrtest']);
is($res->code, 403, 'a test alert without a nonce: 403');
$res = mpost([nonce => nonce_of(mget('?alerts'), channel => 'mgrtest'),
              action => 'alert-test', channel => 'mgrtest'],
             origin => 'https://evil.example');
is($res->code, 403, 'a test alert from another origin: 403');
$res = mpost([nonce => nonce_of(mget('?alerts'), channel => 'mgrtest'),
              action => 'alert-test', channel => 'no-such-channel']);
ok($res->code == 400
   && (attr_of($res, 'data-field', class => 'error') // '') eq 'channel'
   && has_elem($res, _tag => 'table', id => 'channels'),
   'a channel this server does not have: 400 on the alerts page')
    or diag $res->status_line;
is(test_events(), $n0 + 1, 'and none of those queued anything');
$res = mget("?alerts&done=alert-test&channel=evil&event=$uid");
ok(!defined text_of($res, class => 'notice'),
   'no notice for a channel the server does not have (a made-up link)');

# ------------------------------------------------------------- clean-up

purge_test_events(\@uids);
purge_alert_rows(\@SEED_CHANNELS, [@filler, $e1, $e2, $e3, $e4, $e5]);
dbh()->do('DELETE FROM charon_cron_alert WHERE cron_id = ?', undef, $_)
    for $c, $cp, $evil;
purge_cron($_) for 'am-page', 'am-<script>alert(1)</script>', 'am-policy';

ok(!@UNSAFE, 'no page had a script, an image or an event attribute')
    or diag join "\n", @UNSAFE;
no_leak_ok();
