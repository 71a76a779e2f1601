# The Prometheus handler (SetHandler charon-metrics, docs/METRICS.md):
# per-cron families from the database, the API's request counters from
# shared memory, escaping of hostile slugs, promtool's verdict, methods,
# access control and the 503s.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use CharonAlertSeed;
use File::Temp ();
use POSIX ();
use Time::HiRes ();

plan tests => 49;

my $CTYPE = 'text/plain; version=0.0.4; charset=utf-8';
my $M = '/charon-metrics';

# ------------------------------------------------------------- helpers

# Parses the text exposition format. Returns { help => {name => text},
# type => {name => type}, samples => [ {name, labels => {}, value} ],
# errors => [lines it could not read] }. Label values are unescaped.
sub parse_metrics {
    my ($text) = @_;
    my %p = (help => {}, type => {}, samples => [], errors => [], order => []);
    for my $line (split /\n/, $text // '') {
        if ($line =~ /^# HELP (\S+) (.*)$/) {
            $p{help}{$1} = $2;
            push @{ $p{order} }, $1;
            next;
        }
        if ($line =~ /^# TYPE (\S+) (\S+)$/) {
            $p{type}{$1} = $2;
            next;
        }
        next if $line =~ /^#/;
        my ($name, $rest) = $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/s
            or do { push @{ $p{errors} }, $line; next };
        my %l;
        if ($rest =~ s/^\{//) {
            while ($rest =~ s/^([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)",?//s) {
                my ($k, $v) = ($1, $2);
                $v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ges;
                $l{$k} = $v;
            }
            $rest =~ s/^\}// or do { push @{ $p{errors} }, $line; next };
        }
        $rest =~ /^ (\S+)$/ or do { push @{ $p{errors} }, $line; next };
        push @{ $p{samples} }, { name => $name, labels => \%l, value => $1 };
    }
    return \%p;
}

# The value of one sample (undef when absent), by name and labels.
sub sample {
    my ($p, $name, %l) = @_;
    my @hit = grep {
        my $s = $_;
        $s->{name} eq $name
            && keys %{ $s->{labels} } == keys %l
            && !grep { ($s->{labels}{$_} // "\0") ne $l{$_} } keys %l
    } @{ $p->{samples} };
    return @hit == 1 ? $hit[0]{value} : @hit ? "DUPLICATE" : undef;
}

sub scrape {
    my $res = req(GET => $M);
    return ($res, parse_metrics($res->content));
}

# One test: 200, the exposition's content type, no-store.
sub ok_scrape {
    my ($res, $name) = @_;
    my @err;
    push @err, 'status ' . $res->code unless $res->code == 200;
    push @err, 'Content-Type ' . ($res->header('Content-Type') // '')
        unless ($res->header('Content-Type') // '') eq $CTYPE;
    push @err, 'no Cache-Control: no-store'
        unless ($res->header('Cache-Control') // '') =~ /\bno-store\b/;
    ok(!@err, $name) or diag join("\n", @err, substr($res->content // '', 0, 600));
}

# One test: a short text/plain answer with this status.
sub ok_text {
    my ($res, $status, $re, $name, %o) = @_;
    my @err;
    push @err, 'status ' . $res->code unless $res->code == $status;
    push @err, 'Content-Type ' . ($res->header('Content-Type') // '')
        unless ($res->header('Content-Type') // '') =~ m{^text/plain\b};
    push @err, 'no Cache-Control: no-store'
        unless ($res->header('Cache-Control') // '') =~ /\bno-store\b/;
    push @err, "body does not match $re" unless ($res->content // '') =~ $re;
    for my $h (sort keys %{ $o{headers} || {} }) {
        push @err, "$h: " . ($res->header($h) // '(none)')
            unless ($res->header($h) // '') eq $o{headers}{$h};
    }
    ok(!@err, $name) or diag join("\n", @err, $res->as_string);
}

sub near {
    my ($got, $want, $tol) = @_;
    return defined $got && defined $want && $got =~ /^-?[\d.]+(e[-+]?\d+)?$/i
        && abs($got - $want) <= $tol;
}

sub epoch_of { ts_epoch($_[0]) }

# ------------------------------------------------------------- the crons

# mx-a: one success, one failure, one running, one lost.
my $a = seed_cron('mx-a', 1);
my $e1 = start_exec($a);
end_exec($e1, { type => 'success', success => JSON::true });
my $e2 = start_exec($a);
select undef, undef, undef, 0.05;             # a duration above zero
end_exec($e2, { type => 'error', success => JSON::false });
my $e4 = insert_execution($a, started_at => db_now() - 100);
dbh()->do('UPDATE charon_execution SET lost_at = ? WHERE id = ?', undef,
          db_ts(db_now()), $e4);
my $e3 = start_exec($a);

# mx-off: switched off, two starts refused; mx-back: off until a time
# past; mx-never: no run at all.
my $off = seed_cron('mx-off', 0);
req(GET => "/api/$off/start", key => KEY_CLEAR) for 1 .. 2;
my $back = seed_cron('mx-back', 0);
set_cron($back, off_reason => 'maintenance', off_until => db_now() - 60);
my $never = seed_cron('mx-never', 1);

# Hostile slugs, written directly (the API only matches slugs).
my %hostile = (
    quote   => 'mx-"quoted"',
    back    => 'mx-back\\slash\\',
    nl      => "mx-new\nline",
    all     => "mx-\\\"\n\\n\"",
    utf8    => "mx-\xC3\xA9t\xC3\xA9",
    brace   => 'mx-} 1',
    cr_tab  => "mx-cr\rtab\t",
);
my %hid = map { $_ => seed_cron($hostile{$_}, 1) } keys %hostile;

# ------------------------------------------------------------- content

my ($res, $p) = scrape();
ok_scrape($res, 'GET: 200 with the exposition content type, no-store');
ok(!@{ $p->{errors} }, 'every line is HELP, TYPE or a sample')
    or diag explain $p->{errors};

my %families = (
    charon_cron_on                             => 'gauge',
    charon_cron_running_executions             => 'gauge',
    charon_cron_last_start_timestamp_seconds   => 'gauge',
    charon_cron_last_success_timestamp_seconds => 'gauge',
    charon_cron_last_failure_timestamp_seconds => 'gauge',
    charon_cron_last_duration_seconds          => 'gauge',
    charon_cron_executions_total               => 'counter',
    charon_cron_unscheduled_starts_total       => 'counter',
    charon_cron_next_slot_timestamp_seconds    => 'gauge',
    charon_http_requests_total                 => 'counter',
    charon_cron_alert_down                     => 'gauge',
    charon_alert_deliveries_total              => 'counter',
    charon_alert_undelivered                   => 'gauge',
    charon_alert_oldest_undelivered_age_seconds => 'gauge',
);
# Where a server uses SQLite (its writers' lock): charon_vhost_check's
# database is SQLite whatever the suite runs on.
$families{charon_sqlite_busy_total} = 'counter';
my @fam_err;
for my $f (sort keys %families) {
    push @fam_err, "$f: TYPE " . ($p->{type}{$f} // 'none')
        unless ($p->{type}{$f} // '') eq $families{$f};
    push @fam_err, "$f: no HELP" unless length($p->{help}{$f} // '');
}
push @fam_err, 'unexpected family ' . $_
    for grep { !$families{$_} } keys %{ $p->{type} };
ok(!@fam_err, 'every family with its HELP and TYPE') or diag join "\n", @fam_err;

# Samples of a family come together, after its HELP and TYPE.
my ($last, %seen, @order_err);
for my $s (@{ $p->{samples} }) {
    my $f = $s->{name};
    if (!defined $last || $f ne $last) {
        push @order_err, "$f appears in two places" if $seen{$f}++;
        $last = $f;
    }
}
ok(!@order_err, 'samples of each family are contiguous') or diag join "\n", @order_err;

is(sample($p, 'charon_cron_on', slug => 'mx-a'), 1, 'on: active cron is 1');
is(sample($p, 'charon_cron_on', slug => 'mx-off'), 0, 'on: switched-off cron is 0');
is(sample($p, 'charon_cron_on', slug => 'mx-back'), 1,
   'on: a cron off until a time that has passed is 1');
is(sample($p, 'charon_cron_running_executions', slug => 'mx-a'), 1,
   'running: the open run, not the ended nor the lost ones');
is(sample($p, 'charon_cron_running_executions', slug => 'mx-never'), 0,
   'running: 0 for a cron without runs');

my $x1 = execution($e1);
my $x2 = execution($e2);
my $x3 = execution($e3);
my ($lost_at) = dbh()->selectrow_array(
    'SELECT lost_at FROM charon_execution WHERE id = ?', undef, $e4);
ok(near(sample($p, 'charon_cron_last_start_timestamp_seconds', slug => 'mx-a'),
        epoch_of($x3->{started_at}), 0.002),
   'last start: the latest started_at, in Unix seconds')
    or diag 'got ' . (sample($p, 'charon_cron_last_start_timestamp_seconds',
                             slug => 'mx-a') // 'none')
          . ", started_at $x3->{started_at}";
ok(near(sample($p, 'charon_cron_last_success_timestamp_seconds', slug => 'mx-a'),
        epoch_of($x1->{ended_at}), 0.002),
   'last success: the end of the successful run')
    or diag "ended_at $x1->{ended_at}";
ok(near(sample($p, 'charon_cron_last_failure_timestamp_seconds', slug => 'mx-a'),
        epoch_of($lost_at), 0.002),
   'last failure: when the run was marked lost (after the failed end)')
    or diag "lost_at $lost_at";
ok(near(sample($p, 'charon_cron_last_duration_seconds', slug => 'mx-a'),
        epoch_of($x2->{ended_at}) - epoch_of($x2->{started_at}), 0.003)
   && sample($p, 'charon_cron_last_duration_seconds', slug => 'mx-a') > 0,
   'last duration: of the run that ended last')
    or diag 'got ' . (sample($p, 'charon_cron_last_duration_seconds',
                             slug => 'mx-a') // 'none');

my @absent = grep { defined sample($p, $_, slug => 'mx-never') }
    map { "charon_cron_last_${_}" } qw(start_timestamp_seconds
        success_timestamp_seconds failure_timestamp_seconds duration_seconds);
ok(!@absent, 'a cron without runs has no last_* samples') or diag "@absent";

my %want = (success => 1, failure => 1, lost => 1, skipped => 0);
is_deeply({ map { $_ => sample($p, 'charon_cron_executions_total',
                               slug => 'mx-a', outcome => $_) } keys %want },
          \%want, 'executions_total by outcome: success, failure, lost');
is(sample($p, 'charon_cron_executions_total', slug => 'mx-off',
          outcome => 'skipped'), 2, 'skipped: the starts refused (418)');
is_deeply([ map { sample($p, 'charon_cron_executions_total',
                         slug => 'mx-never', outcome => $_) }
            qw(success failure lost skipped missed unknown) ],
          [0, 0, 0, 0, 0, 0], 'a cron without runs: every outcome at 0');
ok(defined sample($p, 'charon_cron_unscheduled_starts_total',
                  slug => 'mx-never')
   && !defined sample($p, 'charon_cron_next_slot_timestamp_seconds',
                      slug => 'mx-never'),
   'an unscheduled cron: 0 unscheduled starts, no next slot');

# A run that ends is counted at once.
end_exec($e3, { type => 'success', success => JSON::true });
($res, $p) = scrape();
ok(sample($p, 'charon_cron_executions_total', slug => 'mx-a',
          outcome => 'success') == 2
   && sample($p, 'charon_cron_running_executions', slug => 'mx-a') == 0,
   'after an end: success 2, running 0');

# ------------------------------------------------------------- escaping

my $raw = $res->content // '';
like($raw, qr/^charon_cron_on\{slug="mx-\\"quoted\\""\} 1$/m,
     'double quotes escaped as \"');
like($raw, qr/^charon_cron_on\{slug="mx-back\\\\slash\\\\"\} 1$/m,
     'backslashes escaped as \\\\');
like($raw, qr/^charon_cron_on\{slug="mx-new\\nline"\} 1$/m,
     'line feed escaped as \n');
my @lost_slugs = grep { !defined sample($p, 'charon_cron_on', slug => $hostile{$_})
                        || sample($p, 'charon_cron_on', slug => $hostile{$_}) ne '1' }
                 sort keys %hostile;
ok(!@lost_slugs, 'every hostile slug reads back exactly (one sample each)')
    or diag "not found: @lost_slugs";

SKIP: {
    # PostgreSQL stores no invalid UTF-8.
    skip 'PostgreSQL refuses invalid UTF-8', 1 if db_kind() eq 'pgsql';
    my $bad = 'mx-bad' . "\xFF" . 'x';
    purge_cron($bad);
    if (db_kind() eq 'sqlite') {
        dbh()->do(q{INSERT INTO charon_cron (slug, name) VALUES }
                . q{(CAST(X'6D782D626164FF78' AS TEXT), 'invalid utf-8')});
    }
    else {
        dbh()->do(q{INSERT INTO charon_cron (slug, name) VALUES }
                . q{(X'6D782D626164FF78', 'invalid utf-8')});
    }
    my ($r2) = scrape();
    like($r2->content // '', qr/^charon_cron_on\{slug="mx-bad\\\\xFFx"\} 1$/m,
         'a byte that is not UTF-8 is written as \\xFF');
    dbh()->do(q{DELETE FROM charon_cron WHERE slug LIKE 'mx-bad%'});
}

# ------------------------------------------------------------- promtool

my ($promtool) = grep { -x } map { "$_/promtool" }
    split(/:/, $ENV{PATH} // ''), '/usr/bin';
{
    my $tmp = File::Temp->new(SUFFIX => '.prom');
    binmode $tmp;
    print {$tmp} $raw;
    close $tmp;
    my $out = $promtool ? `'$promtool' check metrics < '$tmp' 2>&1` : '';
    my $rc = $promtool ? $? >> 8 : -1;
    ok($promtool && $rc == 0, 'promtool check metrics accepts the output')
        or diag($promtool ? "promtool exit $rc:\n$out"
                          : 'promtool not found: apt-get install prometheus '
                            . '(scripts/deps.sh)');
}

# ------------------------------------------------------------- request counters

sub count_of {
    my ($p, $endpoint, $code) = @_;
    return sample($p, 'charon_http_requests_total', endpoint => $endpoint,
                  code => $code) // 'absent';
}

my @cells;
for my $e (qw(can-start start end message other)) {
    push @cells, [$e, $_] for qw(200 400 401 403 404 405 409 413 418 422 500
                                 503 other);
}
my @missing = grep { count_of($p, @$_) eq 'absent' } @cells;
ok(!@missing, 'every endpoint and status has a request counter')
    or diag join ', ', map { "$_->[0]/$_->[1]" } @missing;

my (undef, $p0) = scrape();
my %before = map { join('/', @$_) => count_of($p0, @$_) } @cells;
my $cs = seed_cron('mx-counted', 1);
req(GET => '/api/mx-counted/can-start', key => KEY_CLEAR);      # can-start 200
req(GET => '/api/mx-nope/can-start', key => KEY_CLEAR);         # can-start 404
my $ex = start_exec($cs);                                       # start 200
req(GET => "/api/$off/start", key => KEY_CLEAR);                # start 418
req(POST => "/api/$ex/message", key => KEY_CLEAR,
    json => { type => 'info', message => 'counted' });          # message 200
req(POST => "/api/$ex/message", key => KEY_CLEAR,
    json => { type => 'nope', message => 'x' });                # message 422
end_exec($ex);                                                  # end 200
end_exec($ex);                                                  # end 409
req(HEAD => "/api/$cs/start", key => KEY_CLEAR);                # start 405
req(GET => "/api/mx-counted/can-start");                        # other 401
req(GET => '/api/no/such/route', key => KEY_CLEAR);             # other 404
# Many at once, so that several child processes answer (under prefork
# each request has a process of its own): the counts are shared.
my @race = fork_race(12, sub {
    req(GET => '/api/mx-counted/can-start', key => KEY_CLEAR) });
my $race_ok = grep { $_->code == 200 } @race;

my ($r1, $p1) = scrape();
my %delta = map { $_ => count_of($p1, split m{/}) - $before{$_} }
    grep { $before{$_} ne 'absent' } keys %before;
my %want_delta = ('can-start/200' => 1 + $race_ok, 'can-start/404' => 1,
    'start/200' => 1, 'start/418' => 1, 'start/405' => 1,
    'message/200' => 1, 'message/422' => 1, 'end/200' => 1, 'end/409' => 1,
    'other/401' => 1, 'other/404' => 1);
my %got_delta = map { $_ => $delta{$_} } grep { $delta{$_} } keys %delta;
is($race_ok, 12, 'the concurrent can-start requests were answered');
is_deeply(\%got_delta, \%want_delta,
          'each API answer counted once, under its endpoint and status, '
        . 'whichever process answered');
my (undef, $p2) = scrape();
is(count_of($p2, 'can-start', '200'), count_of($p1, 'can-start', '200'),
   'scrapes are not API requests: the counts stay');

# ------------------------------------------------------------- alerts

# A cron down, one up, one without a state row; attempts on a channel
# the server does not have (no watchdog claims its deliveries); pending
# deliveries, the oldest queued an hour ago.
my $SEED = 'mx-seed-hook';
purge_alert_rows([$SEED], []);
my $down = seed_cron('mx-alert-down', 1);
my $up = seed_cron('mx-alert-up', 1);
seed_alert_state($down, state => 'down', bad => 2, changed_ago => 60);
seed_alert_state($up, state => 'up', bad => 0, changed_ago => 60);
my ($ev_old) = seed_event(cron => $down, event => 'down', ago => 3600);
my ($ev_new) = seed_event(cron => $down, event => 'realert', ago => 5);
my $dv_old = seed_delivery($ev_old, $SEED, state => 'pending', attempts => 4,
                           ago => 3600);
my $dv_new = seed_delivery($ev_new, $SEED, state => 'pending', ago => 5);
seed_attempt($dv_old, 'retry') for 1 .. 3;
seed_attempt($dv_new, 'ok') for 1 .. 2;
seed_attempt($dv_old, 'given_up');

# What the database says of the queue, read just before and after a
# scrape: equal reads bracket what the scrape saw.
sub queue_now {
    my $k = db_kind();
    my $age = $k eq 'pgsql'
        ? 'EXTRACT(EPOCH FROM now() - MIN(e.created_at))'
        : $k eq 'mysql'
        ? 'TIMESTAMPDIFF(MICROSECOND, MIN(e.created_at), UTC_TIMESTAMP(6)) / 1e6'
        : q{(julianday('now') - MIN(julianday(e.created_at))) * 86400.0};
    my ($n, $a) = dbh()->selectrow_array(
        "SELECT COUNT(*), $age FROM charon_alert_delivery d JOIN "
      . 'charon_alert_event e ON e.id = d.event_id '
      . q{WHERE d.state = 'pending'});
    return (0 + $n, $a // 0);
}
my ($n_before, $n_after, $age, $pa);
for (1 .. 5) {
    ($n_before) = queue_now();
    (undef, $pa) = scrape();
    ($n_after, $age) = queue_now();
    last if $n_before == $n_after;
}

is_deeply([ map { sample($pa, 'charon_cron_alert_down', slug => $_) }
            qw(mx-alert-down mx-alert-up mx-never) ], [1, 0, 0],
          'charon_cron_alert_down: 1 down, 0 up, 0 without a state row');
is_deeply({ map { $_ => sample($pa, 'charon_alert_deliveries_total',
                               channel => $SEED, result => $_) }
            qw(ok retry failed given_up) },
          { ok => 2, retry => 3, failed => 0, given_up => 1 },
          'deliveries_total by channel and result, 0 for a result not seen');
my @missing_results = grep { !defined sample($pa,
    'charon_alert_deliveries_total', channel => 'mgrtest', result => $_) }
    qw(ok retry failed given_up);
ok(!@missing_results, 'a configured channel has its four results, even at 0')
    or diag "missing: @missing_results";
ok($n_before == $n_after
   && sample($pa, 'charon_alert_undelivered') == $n_after
   && $n_after >= 2,
   'undelivered: the pending deliveries')
    or diag 'metric ' . (sample($pa, 'charon_alert_undelivered') // 'none')
          . ", database $n_before / $n_after";
my $got_age = sample($pa, 'charon_alert_oldest_undelivered_age_seconds');
ok(near($got_age, $age, 5) && $got_age >= 3600 - 5,
   'oldest undelivered age: of the oldest pending delivery\'s event')
    or diag 'metric ' . ($got_age // 'none') . ", database $age";

# Delivered: no longer undelivered (with nothing else pending, 0 and an
# age of 0); the counters stay.
dbh()->do(q{UPDATE charon_alert_delivery SET state = 'delivered' }
        . 'WHERE channel = ?', undef, $SEED);
my ($pg, $n_gone, $age_gone, $n_gone2);
for (1 .. 5) {
    ($n_gone) = queue_now();
    (undef, $pg) = scrape();
    ($n_gone2, $age_gone) = queue_now();
    last if $n_gone == $n_gone2;
}
ok(sample($pg, 'charon_alert_undelivered') == $n_gone2
   && near(sample($pg, 'charon_alert_oldest_undelivered_age_seconds'),
           $n_gone2 ? $age_gone : 0, 5),
   'once delivered they leave the queue and its age')
    or diag 'undelivered ' . (sample($pg, 'charon_alert_undelivered') // 'none')
          . ', age ' . (sample($pg, 'charon_alert_oldest_undelivered_age_seconds')
                        // 'none') . " (database $n_gone2, $age_gone)";
is(sample($pg, 'charon_alert_deliveries_total', channel => $SEED,
          result => 'retry'), 3, 'the attempts stay counted');
purge_alert_rows([$SEED], [$ev_old, $ev_new]);
dbh()->do('DELETE FROM charon_cron_alert WHERE cron_id = ?', undef, $_)
    for $down, $up;
my (undef, $pp) = scrape();
ok(!grep({ ($_->{labels}{channel} // '') eq $SEED } @{ $pp->{samples} })
   && !defined sample($pp, 'charon_cron_alert_down', slug => 'nope'),
   'a channel neither configured nor counted has no series');

# ------------------------------------------------------------- methods and access

my $head = req(HEAD => $M);
ok($head->code == 200 && !length($head->content // '')
   && ($head->header('Content-Type') // '') eq $CTYPE
   && ($head->header('Cache-Control') // '') =~ /no-store/,
   'HEAD: 200, the same headers, no body') or diag $head->as_string;
ok_text(req(POST => $M, body => ''), 405, qr/GET, HEAD/,
        'POST: 405', headers => { Allow => 'GET, HEAD' });
ok_text(req(PUT => $M, body => 'x'), 405, qr/./, 'PUT: 405',
        headers => { Allow => 'GET, HEAD' });
ok_text(req(DELETE => $M), 405, qr/./, 'DELETE: 405',
        headers => { Allow => 'GET, HEAD' });
my $denied = req(GET => "/denied$M");
ok($denied->code == 403 && ($denied->content // '') !~ /charon_/,
   'a client outside Require ip: 403 from httpd, no metrics')
    or diag $denied->status_line;
ok_scrape(req(GET => "$M?anything=1"), 'a query string changes nothing');

# ------------------------------------------------------- SQLite's writers
# charon_sqlite_busy_total: the times a statement found the file locked by
# another writer (src/db/sqlite_writers.c).  The module's own writers queue
# and never meet (harness.reliability's writers-queue); a writer outside
# httpd, here this test's, is met and counted.  (2)

my (undef, $pb) = scrape();
my $busy0 = sample($pb, 'charon_sqlite_busy_total');
ok(defined $busy0 && $busy0 =~ /^\d+$/
   && ($pb->{type}{charon_sqlite_busy_total} // '') eq 'counter',
   'a server on SQLite: charon_sqlite_busy_total, one sample, a counter')
    or diag $busy0 // 'none';
SKIP: {
    skip 'the writer outside httpd is a SQLite case', 1
        unless db_kind() eq 'sqlite';
    my $cron = seed_cron('mx-sqlite-busy', 1);
    dbh()->do('BEGIN IMMEDIATE');
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        CharonTest::dbh_after_fork();
        my $res = req(GET => "/api/$cron/start", key => KEY_CLEAR);
        print {$wr} $res->code;
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    Time::HiRes::sleep(0.5);   # the start meets the lock, the driver sleeps
    dbh()->do('COMMIT');
    my $code = do { local $/; <$rd> } // '';
    waitpid $pid, 0;
    my (undef, $pa2) = scrape();
    my $busy1 = sample($pa2, 'charon_sqlite_busy_total') // 0;
    ok($code eq '200' && $busy1 > ($busy0 // 0),
       'a writer outside httpd holds the file: the start waits, is '
       . 'answered 200, and is counted') or diag "start $code, busy "
       . ($busy0 // 'none') . " -> $busy1";
}

# ------------------------------------------------------------- no database

ok_text(req(GET => $M, vhost => 'charon_vhost_nodb'), 503,
        qr/^charon-metrics: the database cannot be reached\n\z/,
        'database that cannot be opened: 503 with a one-line body',
        headers => { 'Retry-After' => '5' });
ok_text(req(GET => $M, vhost => 'charon_vhost_noschema'), 503,
        qr/^charon-metrics: the database schema is incomplete \(see the error log\)\n\z/,
        'database without the schema: 503', headers => { 'Retry-After' => '5' });
my $h503 = req(HEAD => $M, vhost => 'charon_vhost_nodb');
ok($h503->code == 503 && !length($h503->content // ''),
   'HEAD without a database: 503, no body') or diag $h503->as_string;

no_leak_ok();
