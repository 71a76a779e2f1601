# The health handler (SetHandler charon-health, docs/METRICS.md): the
# database check, the crons check (?crons, ?crons&strict), one-line bodies
# with hostile slugs, methods, access control and the 503s.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use CharonAlertSeed;

plan tests => 32;

my $H = '/charon-health';

# One test: a text/plain, no-store answer of one line, with this status
# and a body matching $re.
sub ok_line {
    my ($res, $status, $re, $name, %o) = @_;
    my @err;
    my $body = $res->content // '';
    push @err, 'status ' . $res->code . ", expected $status"
        unless $res->code == $status;
    push @err, 'Content-Type ' . ($res->header('Content-Type') // '')
        unless ($res->header('Content-Type') // '') eq 'text/plain; charset=utf-8';
    push @err, 'no Cache-Control: no-store'
        unless ($res->header('Cache-Control') // '') =~ /\bno-store\b/;
    push @err, 'not exactly one line' unless $body =~ /\A[^\n]+\n\z/;
    push @err, "body does not match $re" unless $body =~ $re;
    for my $h (sort keys %{ $o{headers} || {} }) {
        push @err, "$h: " . ($res->header($h) // '(none)')
            unless ($res->header($h) // '') eq $o{headers}{$h};
    }
    ok(!@err, $name) or diag join("\n", @err, $res->as_string);
    return $body;
}

# The alert parts of a WARNING line, out of it: (the line without them,
# { late => { channel => n }, gave_up => { channel => n } }, totals).
my %ALERT_PART = (late => 'undelivered for more than 5 minutes',
                  gave_up => 'given up in the last 24 h');
sub alert_parts {
    my ($b) = @_;
    my (%by, %total);
    for my $k (keys %ALERT_PART) {
        my $what = $ALERT_PART{$k};
        while ($b =~ s/(?:; )?(\d+) alert deliver(?:y|ies) \Q$what\E \(([^)]*)\)//) {
            $total{$k} = $1;
            $by{$k} = { map { /^(.*): (\d+)$/ ? ($1 => $2) : ($_ => -1) }
                        split /, /, $2 };
        }
    }
    $b =~ s/^WARNING: ; /WARNING: /;
    return ($b, \%by, \%total);
}

# The crons check as (word, count, listed slugs, "and N more" or 0);
# alert deliveries late or given up (other files' too) are left out.
sub crons_state {
    my ($q) = @_;
    my $res = req(GET => "$H?" . ($q // 'crons'));
    my ($b) = alert_parts($res->content // '');
    return ('OK', 0, [], 0, $res) if $b =~ /^OK: / || $b eq "WARNING: \n";
    my ($n, $list) = $b =~ /^WARNING: (\d+) crons? whose latest run failed or was lost: (.*)\n\z/
        or return ('?', -1, [], 0, $res);
    my $more = $list =~ s/ and (\d+) more\z// ? $1 : 0;
    return ('WARNING', $n, [ split /, /, $list ], $more, $res);
}

# A past run of cron $id that ended (as the API would record it).
sub past_run {
    my ($id, $success, $ago) = @_;
    my $now = db_now();
    my $e = insert_execution($id, started_at => $now - $ago - 1);
    dbh()->do('UPDATE charon_execution SET ended_at = ?, success = ?, type = ? '
            . 'WHERE id = ?', undef, db_ts($now - $ago), $success ? 1 : 0,
              $success ? 'success' : 'error', $e);
    return $e;
}

# ------------------------------------------------------------- default mode

ok_line(req(GET => $H), 200, qr/^OK: database answers\n\z/,
        'GET: 200 "OK: database answers"');
my $head = req(HEAD => $H);
ok($head->code == 200 && !length($head->content // '')
   && ($head->header('Cache-Control') // '') =~ /no-store/,
   'HEAD: 200, no body') or diag $head->as_string;
ok_line(req(POST => $H, body => ''), 405, qr/^UNKNOWN: /, 'POST: 405',
        headers => { Allow => 'GET, HEAD' });
ok_line(req(OPTIONS => $H), 405, qr/^UNKNOWN: /, 'OPTIONS: 405',
        headers => { Allow => 'GET, HEAD' });
ok_line(req(GET => "$H?cron"), 400, qr/^UNKNOWN: /,
        'a query string it does not know (a typo): 400 UNKNOWN');
ok_line(req(GET => "$H?strict"), 400, qr/^UNKNOWN: /,
        'strict without crons: 400 UNKNOWN');
my $denied = req(GET => "/denied$H");
is($denied->code, 403, 'a client outside Require ip: 403 from httpd');

# ------------------------------------------------------------- no database

ok_line(req(GET => $H, vhost => 'charon_vhost_nodb'), 503,
        qr/^CRITICAL: database unavailable\n\z/,
        'database that cannot be opened: 503 CRITICAL',
        headers => { 'Retry-After' => '5' });
ok_line(req(GET => "$H?crons", vhost => 'charon_vhost_nodb'), 503,
        qr/^CRITICAL: database unavailable\n\z/,
        '?crons without a database: 503 CRITICAL');
ok_line(req(GET => $H, vhost => 'charon_vhost_noschema'), 503,
        qr/^CRITICAL: the database schema is incomplete \(see the error log\)\n\z/,
        'database without the schema: 503 CRITICAL');
my $h503 = req(HEAD => $H, vhost => 'charon_vhost_nodb');
ok($h503->code == 503 && !length($h503->content // ''),
   'HEAD without a database: 503, no body') or diag $h503->as_string;

# ------------------------------------------------------------- crons mode

# Earlier test files leave failing crons behind: each check below is
# relative to what the check said first, and the crons made here sort
# first ("00-").
my ($w0, $n0) = crons_state();
ok($w0 eq 'OK' || $w0 eq 'WARNING', 'crons check answers OK or WARNING')
    or diag 'unexpected body';

my $ok   = seed_cron('00-hx-ok', 1);
my $fail = seed_cron('00-hx-fail', 1);
my $lost = seed_cron('00-hx-lost', 1);
my $rec  = seed_cron('00-hx-recovered', 1);
my $evil = seed_cron("00-hx-evil\n\"line\"\r\\x\x01", 1);
past_run($ok, 1, 30);
my $e = start_exec($fail);                      # through the API
end_exec($e, { type => 'error', success => JSON::false });
my $l = insert_execution($lost, started_at => db_now() - 100);
dbh()->do('UPDATE charon_execution SET lost_at = ? WHERE id = ?', undef,
          db_ts(db_now()), $l);
past_run($rec, 0, 60);
past_run($rec, 1, 30);
past_run($evil, 0, 10);

my ($w, $n, $listed, $more, $res) = crons_state();
is($w, 'WARNING', 'failing crons: WARNING');
ok_line($res, 200, qr/^WARNING: /, '?crons with failing crons: 200 by default');
is($n, $n0 + 3, 'counted: the failed, the lost and the hostile one');
my @mine = grep { /^00-hx-/ } @$listed;
is_deeply(\@mine, ['00-hx-evil?"line"?\\x?', '00-hx-fail', '00-hx-lost'],
          'listed by slug: not the successful nor the recovered one; '
        . 'control characters shown as ?');
my ($ws, undef, undef, undef, $rs) = crons_state('crons&strict');
ok_line($rs, 503, qr/^WARNING: \d+ crons whose latest run failed/,
        '?crons&strict with failing crons: 503 WARNING');
ok_line(req(GET => $H), 200, qr/^OK: database answers\n\z/,
        'the default mode does not look at the crons: 200 OK');

# The list is bounded: 20 slugs, then "and N more".
my @many = map { sprintf '00-hx-many-%02d', $_ } 1 .. 22;
past_run(seed_cron($_, 1), 0, 5) for @many;
my ($wm, $nm, $lm, $mm) = crons_state();
ok($nm == $n + 22 && @$lm == 20 && $mm == $nm - 20,
   'more than 20 failing crons: 20 listed, "and N more"')
    or diag "count $nm (expected " . ($n + 22) . "), listed " . scalar(@$lm)
          . ", more $mm";
is_deeply([ (grep { /^00-hx-/ } @$lm)[0 .. 2] ],
          ['00-hx-evil?"line"?\\x?', '00-hx-fail', '00-hx-lost'],
          'the list follows the order of the slugs');

# A success after the failure clears a cron.
past_run(cron_id('00-hx-fail'), 1, 0);
my (undef, $n2, $l2) = crons_state();
ok($n2 == $nm - 1 && !grep({ $_ eq '00-hx-fail' } @$l2),
   'a cron whose latest run succeeded is no longer listed')
    or diag "count $n2, list @$l2";

# OK: with every failure out of sight (other files' crons included; put
# back at once), the crons check says OK.  Alert deliveries late or given
# up (other files' channels) are out of sight as well, for the same time.
{
    my $d = dbh();
    my $queued = $d->selectall_arrayref(
        q{SELECT id, state FROM charon_alert_delivery }
      . q{WHERE state IN ('pending', 'given_up')});
    $d->do(q{UPDATE charon_alert_delivery SET state = 'delivered' }
         . 'WHERE id = ?', undef, $_->[0]) for @$queued;
    my $rows = $d->selectall_arrayref(
        'SELECT cron_id, last_failure_at FROM charon_cron_stats '
      . 'WHERE last_failure_at IS NOT NULL');
    my $hidden = eval {
        $d->do('UPDATE charon_cron_stats SET last_failure_at = NULL '
             . 'WHERE cron_id = ?', undef, $_->[0]) for @$rows;
        1;
    };
    my ($wk, undef, undef, undef, $rk) = crons_state();
    $d->do('UPDATE charon_cron_stats SET last_failure_at = ? WHERE cron_id = ?',
           undef, $_->[1], $_->[0]) for @$rows;
    ok($hidden && $wk eq 'OK', 'no failing cron: OK');
    ok_line($rk, 200, qr/^OK: database answers, no cron's latest run failed or was lost\n\z/,
            '?crons OK: 200, one line');
    my ($wk2, undef, undef, undef, $rk2) = crons_state('crons&strict');
    $d->do('UPDATE charon_cron_stats SET last_failure_at = NULL WHERE cron_id = ?',
           undef, $_->[0]) for @$rows;
    my (undef, undef, undef, undef, $rk3) = crons_state('crons&strict');
    $d->do('UPDATE charon_cron_stats SET last_failure_at = ? WHERE cron_id = ?',
           undef, $_->[1], $_->[0]) for @$rows;
    $d->do('UPDATE charon_alert_delivery SET state = ? WHERE id = ?', undef,
           $_->[1], $_->[0]) for @$queued;
    ok_line($rk3, 200, qr/^OK: /, '?crons&strict OK: 200');
    ok($rk2->code == 503, 'and failures put back: 503 again');
}

# ------------------------------------------------------------- alerts

# Deliveries on a channel the server does not have (no watchdog claims
# them), each of an event of its own: late (queued 10 min ago) or not
# (1 min); given up 1 h ago, failed for good 2 h ago, given up 25 h ago;
# delivered.
my $SEED = 'hx-seed-hook';
purge_alert_rows([$SEED], []);
my @events;
sub seeded {
    my ($state, $ago, @attempt) = @_;
    my ($e) = seed_event(cron => undef, event => 'test', ago => $ago);
    push @events, $e;
    my $d = seed_delivery($e, $SEED, state => $state, ago => $ago,
                          attempts => @attempt ? 1 : 0,
                          error => $state eq 'given_up' ? 'HTTP 500' : undef);
    seed_attempt($d, @attempt) if @attempt;
    return $d;
}
seeded('pending', 600);
seeded('pending', 60);
seeded('given_up', 3 * 3600, 'given_up', ago => 3600);
seeded('given_up', 3 * 3600, 'failed', ago => 7200);
seeded('given_up', 30 * 3600, 'given_up', ago => 25 * 3600);
seeded('delivered', 600, 'ok', ago => 590);

my $ra = req(GET => "$H?crons");
my ($rest, $by, $total) = alert_parts($ra->content // '');
ok_line($ra, 200, qr/^WARNING: .*\b\d+ alert deliver(y|ies) undelivered for more than 5 minutes \(/,
        'late deliveries: 200 WARNING');
is($by->{late}{$SEED}, 1,
   'late: the delivery pending for 10 minutes, not the one of 1 minute')
    or diag $ra->content;
is($by->{gave_up}{$SEED}, 2,
   'given up: in the last 24 h, whether it gave up or failed for good')
    or diag $ra->content;
my $sum_ok = 1;
for my $k (qw(late gave_up)) {
    my $sum = 0;
    $sum += $_ for values %{ $by->{$k} || {} };
    $sum_ok &&= ($total->{$k} // -1) == $sum;
}
ok($sum_ok, 'each count is the sum of its channels\'') or diag $ra->content;
ok_line(req(GET => "$H?crons&strict"), 503,
        qr/alert deliver(y|ies) given up in the last 24 h/,
        '?crons&strict: 503 WARNING');
purge_alert_rows([$SEED], \@events);
unlike(req(GET => "$H?crons")->content // '', qr/\Q$SEED\E/,
       'once delivered or gone, the channel is not named');

no_leak_ok();
