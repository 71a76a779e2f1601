# Idempotency-Key on start, end and message: a retry with the same key
# (same API key name, same request, within the window) gets the stored
# answer byte for byte with Idempotent-Replayed: true and changes nothing;
# another request under the same key is 422; answers decided before the
# database are not stored; invalid keys are 400.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use Time::HiRes ();

plan tests => 65;

my @id = (keys => ['id'], numbers => ['id']);
my %fresh = (headers => { 'Idempotent-Replayed' => undef });
my $REUSED = 'the Idempotency-Key was already used for another request';
my $VB = 'charon_vhost_b';

# Keys unique to this run: a database used before keeps its records.
my $P = sprintf 'idem-%d-%d-', $$, int(hires_time() * 1000);
my $n = 0;
sub newkey { $P . ++$n }

# ireq(METHOD, PATH, IDEMPOTENCY-KEY, %req_options)
sub ireq {
    my ($method, $path, $ikey, %o) = @_;
    my @h = defined $ikey ? ('Idempotency-Key' => $ikey) : ();
    return req($method, $path, key => KEY_CLEAR, %o,
               headers => [@h, @{ $o{headers} || [] }]);
}

# replay_ok($first, $again, $name): one test. The retry got the stored
# answer: same status, the same body byte for byte, the same content type,
# Idempotent-Replayed: true; the first answer had no such header.
sub replay_ok {
    my ($first, $again, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @err;
    push @err, 'the first answer has Idempotent-Replayed'
        if defined $first->header('Idempotent-Replayed');
    push @err, 'status ' . $again->code . ', the first was ' . $first->code
        unless $again->code == $first->code;
    push @err, 'the body differs from the first'
        unless ($again->content // '') eq ($first->content // '');
    push @err, "Content-Type differs"
        unless ($again->header('Content-Type') // '') eq
               ($first->header('Content-Type') // 'x');
    push @err, 'Cache-Control has no no-store'
        unless ($again->header('Cache-Control') // '') =~ /no-store/;
    my $h = $again->header('Idempotent-Replayed');
    push @err, 'Idempotent-Replayed is ' . (defined $h ? "'$h'" : 'absent')
        . ", expected 'true'" unless ($h // '') eq 'true';
    ok(!@err, $name) or diag join "\n", @err,
        'first: ' . CharonTest::describe($first),
        'again: ' . CharonTest::describe($again);
}

sub reused_ok {
    my ($res, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok_problem($res, 422, $name, fields => { detail => $REUSED }, %fresh);
}

my $cron = seed_cron('idem-start', 1);
my $other = seed_cron('idem-other', 1);
my $vcron = seed_cron('idem-vhost', 1);

# ---- the window: started now, checked at the end of the file (3)
my $KW  = newkey();
my $KWB = newkey();
my $w_main = ireq(GET => "/api/$vcron/start", $KW);
my $w_b    = ireq(GET => "/api/$vcron/start", $KWB, key => KEY_VHOST_B, vhost => $VB);
my $t_b    = hires_time();
my $wb_id  = ok_json($w_b, 'vhost b (window 3 s): start with a key: 200',
                     @id, %fresh)->{id} // 0;
ok_json($w_main, 'main server (window 24 h): start with a key: 200', @id, %fresh);
replay_ok($w_b, ireq(GET => "/api/$vcron/start", $KWB, key => KEY_VHOST_B,
                     vhost => $VB),
          'vhost b: the same key at once: replayed');

# ---- start (8)
my $K1 = newkey();
my $s1 = ireq(GET => "/api/$cron/start", $K1);
my $id1 = ok_json($s1, 'start with a key: 200', @id, %fresh)->{id} // 0;
replay_ok($s1, ireq(GET => "/api/$cron/start", $K1),
          'start again with the same key: the same answer, replayed');
is(count_executions($cron), 1, 'one execution only');
my $id2 = ok_json(ireq(GET => "/api/$cron/start", newkey()),
                  'another key: a new start', @id, %fresh)->{id} // 0;
ok_json(ireq(GET => "/api/$cron/start", uc $K1),
        'the key in upper case is another key: a new start', @id, %fresh);
my $h1 = ireq(GET => "/api/$cron/start", $K1, key => KEY_HASHED);
my $idh = ok_json($h1, 'the same key under another API key name: a new start',
                  @id, %fresh)->{id} // 0;
replay_ok($h1, ireq(GET => "/api/$cron/start", $K1, key => KEY_HASHED),
          '... replayed under that name');
ok($id1 && $id2 && $idh && $id1 != $id2 && $idh != $id1 && $idh != $id2
   && count_executions($cron) == 4,
   'four distinct executions for four distinct (name, key) pairs')
    or diag "ids $id1 $id2 $idh, count " . count_executions($cron);

# ---- the same key for another request: 422, nothing done (4)
reused_ok(ireq(GET => "/api/$other/start", $K1),
          'the same key to start another cron: 422');
is(count_executions($other), 0, 'nothing created for that cron');
my $E0 = start_exec($cron) // 0;
reused_ok(ireq(POST => "/api/$E0/message", $K1,
               json => { type => 'info', message => 'x' }),
          'the same key for a message: 422');
is(count_messages($E0), 0, 'no message stored');

# ---- end (7)
my $E = start_exec($cron) // 0;
my $KE = newkey();
my $end_body = { type => 'success', success => JSON::true, message => 'done' };
my $e1 = ireq(POST => "/api/$E/end", $KE, json => $end_body);
ok_json($e1, 'end with a key: 200', keys => ['id'], fields => { id => $E }, %fresh);
my $ended = execution($E);
replay_ok($e1, ireq(POST => "/api/$E/end", $KE, json => $end_body),
          'end again with the same key: the stored 200, not 409');
is_deeply([execution($E), count_messages($E)], [$ended, 1],
          'the end is stored once: row unchanged, one message');
reused_ok(ireq(POST => "/api/$E/end", $KE,
               json => { %$end_body, success => JSON::false }),
          'the same key with another body: 422');
is_deeply([execution($E), count_messages($E)], [$ended, 1], 'nothing changed');
my $KE2 = newkey();
my $c409 = ireq(POST => "/api/$E/end", $KE2, json => $end_body);
ok_problem($c409, 409, 'end of an ended execution with a new key: 409', %fresh);
replay_ok($c409, ireq(POST => "/api/$E/end", $KE2, json => $end_body),
          'the 409 is replayed too');

# ---- message (6)
my $M = start_exec($cron) // 0;
my $KM = newkey();
my $msg = { type => 'info', message => 'hello once' };
my $m1 = ireq(POST => "/api/$M/message", $KM, json => $msg);
ok_json($m1, 'message with a key: 200', @id, %fresh);
replay_ok($m1, ireq(POST => "/api/$M/message", $KM, json => $msg),
          'the same message again with the same key: replayed');
is(count_messages($M), 1, 'one message stored');
reused_ok(ireq(POST => "/api/$M/message", $KM,
               json => { type => 'info', message => 'hello twice' }),
          'the same key with another text: 422');
my $M2 = start_exec($cron) // 0;
reused_ok(ireq(POST => "/api/$M2/message", $KM, json => $msg),
          'the same key and body to another execution: 422');
ok(count_messages($M) == 1 && count_messages($M2) == 0,
   'no message added by the 422s');

# ---- 418 replayed after the cron is switched on (5)
my $off = seed_cron('idem-off', 0);
my $K418 = newkey();
my $o1 = ireq(GET => "/api/$off/start", $K418);
ok_problem($o1, 418, 'start of an off cron with a key: 418', %fresh);
set_active($off, 1);
replay_ok($o1, ireq(GET => "/api/$off/start", $K418),
          'switched on, retried with the same key: the stored 418');
is(count_executions($off), 0, 'no execution created');
is_deeply([refused($off)], [1, 0], 'refused_inactive counted once');
ok_json(ireq(GET => "/api/$off/start", undef),
        'without the key it starts: 200', @id, %fresh);

# ---- 409 locked replayed after the lock is gone (3)
my $fb = seed_cron('idem-forbid', 1);
set_cron($fb, concurrency => 'forbid');
my $F = start_exec($fb) // 0;
my $K409 = newkey();
my $l1 = ireq(GET => "/api/$fb/start", $K409);
ok_problem($l1, 409, 'locked start with a key: 409',
           fields => { refusal => 'locked', runningExecutionId => $F }, %fresh);
end_exec($F);
replay_ok($l1, ireq(GET => "/api/$fb/start", $K409),
          'lock gone, retried with the same key: the stored 409');
ok(count_executions($fb) == 1 && (refused($fb))[1] == 1,
   'nothing created, refused_locked counted once')
    or diag 'executions ' . count_executions($fb) . ', refused '
        . join(',', refused($fb));

# ---- 404 replayed after the cron appears (3)
purge_cron('idem-404');
my ($maxc) = dbh()->selectrow_array('SELECT MAX(id) FROM charon_cron');
my $absent = $maxc + 100000;
my $K404 = newkey();
my $n1 = ireq(GET => "/api/$absent/start", $K404);
ok_problem($n1, 404, 'start of an unknown cron with a key: 404', %fresh);
dbh()->do('INSERT INTO charon_cron (id, slug, name, active) VALUES (?, ?, ?, ?)',
          undef, $absent, 'idem-404', 'Test cron idem-404', 1);
replay_ok($n1, ireq(GET => "/api/$absent/start", $K404),
          'the cron now exists; the same key: the stored 404');
is(count_executions($absent), 0, 'no execution created');

# ---- answers decided before the database are not stored (4)
my $B = start_exec($cron) // 0;
my $K400 = newkey();
ok_problem(ireq(POST => "/api/$B/end", $K400, body => 'not json'), 400,
           'end with a key and a body that is not JSON: 400', %fresh);
ok_json(ireq(POST => "/api/$B/end", $K400, json => $end_body),
        'the same key with a valid body: 200, not a replay, not 422',
        keys => ['id'], fields => { id => $B }, %fresh);
my $B2 = start_exec($cron) // 0;
my $K422 = newkey();
ok_problem(ireq(POST => "/api/$B2/message", $K422,
                json => { type => 'shout', message => 'x' }),
           422, 'message with a key and an invalid type: 422', field => 'type',
           %fresh);
ok_json(ireq(POST => "/api/$B2/message", $K422, json => $msg),
        'the same key with a valid body: 200, not a replay', @id, %fresh);

# ---- invalid Idempotency-Key values: 400, nothing done (10)
my $iv = seed_cron('idem-invalid', 1);
my $IE = start_exec($iv) // 0;
sub raw_start {
    my ($value, $path) = @_;
    return raw_req(method => 'POST', path => $path // "/api/$iv/start",
                   headers => [['X-API-KEY', KEY_CLEAR],
                               ['Idempotency-Key', $value]],
                   body => '');
}
sub bad_key_ok {
    my ($res, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $d = ok_problem($res, 400, $name, %fresh) || {};
    return $d;
}
my @bad_values = (
    ['x' x 256,        '256 bytes'],
    ["ab\tcd",         'a tab inside'],
    ["caf\xC3\xA9",    'a non-ASCII byte'],
    ['',               'an empty value'],
);
my @details;
for my $b (@bad_values) {
    my $d = bad_key_ok(raw_start($b->[0]), "Idempotency-Key with $b->[1]: 400");
    push @details, "$b->[1]: " . ($d->{detail} // 'none')
        unless ($d->{detail} // '') =~ /Idempotency-Key/;
}
# httpd itself refuses these (HttpProtocolOptions Strict), or the module
for my $b (["ab\x01cd", 'a control character'], ["ab\x7Fcd", 'DEL']) {
    my $res = raw_start($b->[0]);
    is($res->code, 400, "Idempotency-Key with $b->[1]: 400 (httpd or the module)")
        or diag CharonTest::describe($res);
}
ok(!@details, 'each detail names Idempotency-Key') or diag join "\n", @details;
ok_problem(raw_req(method => 'POST', path => "/api/$IE/message",
                   headers => [['X-API-KEY', KEY_CLEAR],
                               ['Idempotency-Key', "line\tx"],
                               ['Content-Type', 'application/json']],
                   body => '{"type":"info","message":"m"}'),
           400, 'message with a tab in the key: 400', %fresh);
is(count_executions($iv) + count_messages($IE), 1,
   'nothing created by the refused requests (one execution, no message)');
ok_json(ireq(GET => "/api/$iv/start", 'y' x 255),
        'a key of 255 bytes is accepted: 200', @id, %fresh);

# ---- outer blanks are not part of the key (2)
my $KS = newkey();
my $sp1 = raw_start("  $KS \t");
ok_json($sp1, 'a key with outer blanks: 200', @id, %fresh);
replay_ok($sp1, raw_start($KS), 'the same key without the blanks: replayed');

# ---- without the header nothing changes (1)
my @plain = map { req(GET => "/api/$iv/start", key => KEY_CLEAR) } 1 .. 2;
my @pid = map { (decode_body($_) || {})->{id} // 0 } @plain;
ok(2 == grep({ $_->code == 200 && !defined $_->header('Idempotent-Replayed') } @plain)
   && $pid[0] && $pid[1] && $pid[0] != $pid[1],
   'without Idempotency-Key: two starts, two executions, no replay header')
    or diag join "\n", map { CharonTest::describe($_) } @plain;

# ---- concurrent requests with the same key (4)
my $cc = seed_cron('idem-race', 1);
my (@bad_start, @bad_count);
for my $round (1 .. 3) {
    my $K = newkey();
    my $before = count_executions($cc);
    my @r = fork_race(4, sub { ireq(GET => "/api/$cc/start", $K) });
    my %bodies = map { ($_->content // '') => 1 } @r;
    my $fresh_n = grep { !defined $_->header('Idempotent-Replayed') } @r;
    my $d = decode_body($r[0]) || {};
    push @bad_start, "round $round: statuses "
        . join(',', map { $_->code } @r) . ', ' . scalar(keys %bodies)
        . " distinct bodies, $fresh_n not replayed"
        unless 4 == grep({ $_->code == 200 } @r) && keys %bodies == 1
            && $fresh_n == 1 && ($d->{id} // '') =~ /^\d+$/;
    my $created = count_executions($cc) - $before;
    push @bad_count, "round $round: $created executions created"
        unless $created == 1 && execution($d->{id} // 0);
}
ok(!@bad_start, '4 concurrent starts, one key: four 200s with the same id, '
 . 'one of them not replayed (3 rounds)') or diag join "\n", @bad_start;
ok(!@bad_count, 'exactly one execution created each round')
    or diag join "\n", @bad_count;
my (@bad_end);
for my $round (1 .. 3) {
    my $X = start_exec($cc) // 0;
    my $K = newkey();
    my @r = fork_race(4, sub {
        ireq(POST => "/api/$X/end", $K,
             json => { type => 'info', success => 1, message => "round $round" });
    });
    my %bodies = map { ($_->content // '') => 1 } @r;
    push @bad_end, "round $round: statuses " . join(',', map { $_->code } @r)
        . ', ' . scalar(keys %bodies) . ' distinct bodies, '
        . count_messages($X) . ' messages'
        unless 4 == grep({ $_->code == 200 } @r) && keys %bodies == 1
            && count_messages($X) == 1;
}
ok(!@bad_end, '4 concurrent ends, one key: four identical 200s, one message '
 . '(3 rounds)') or diag join "\n", @bad_end;
my $KM4 = newkey();
my $M4 = start_exec($cc) // 0;
my @r = fork_race(4, sub {
    ireq(POST => "/api/$M4/message", $KM4, json => { type => 'info', message => 'once' });
});
my %mb = map { ($_->content // '') => 1 } @r;
ok(4 == grep({ $_->code == 200 } @r) && keys %mb == 1 && count_messages($M4) == 1,
   '4 concurrent messages, one key: four identical 200s, one message')
    or diag join "\n", (map { $_->code . ' ' . ($_->content // '') } @r),
        'messages ' . count_messages($M4);

# ---- the window, 4 s after the first request (4)
my $wait = $t_b + 4.2 - hires_time();
Time::HiRes::sleep($wait) if $wait > 0;
my $before_v = count_executions($vcron);
my $w2 = ireq(GET => "/api/$vcron/start", $KWB, key => KEY_VHOST_B, vhost => $VB);
my $wb2 = ok_json($w2, 'vhost b, 4 s later: the key expired, a new start',
                  @id, %fresh)->{id} // 0;
ok($wb2 && $wb2 != $wb_id && count_executions($vcron) == $before_v + 1,
   'a new execution was created') or diag "ids $wb_id $wb2";
replay_ok($w2, ireq(GET => "/api/$vcron/start", $KWB, key => KEY_VHOST_B,
                    vhost => $VB),
          'vhost b: that new answer is replayed in turn');
replay_ok($w_main, ireq(GET => "/api/$vcron/start", $KW),
          'main server: the same key 4 s later (window 24 h) is still replayed');

# ---- no secret echoed (1)
no_leak_ok();
