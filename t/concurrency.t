# Concurrent requests: end is exactly-once, starts and messages do not
# collide, end racing messages and start racing a switch-off end in states
# the contract allows, and the database agrees with the answers.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use POSIX ();
use HTTP::Response;

plan tests => 10;

my $cron = seed_cron('conc-cron', 1);
CharonTest::ua();               # made once, before the forks

# race($n, $make): runs $make->($i) for i in 0..n-1 in n child processes,
# released at the same moment (CharonTest::fork_race). Returns
# [code, leak, body] per child, the body on one line.
sub race {
    my ($n, $make) = @_;
    return map {
        my $text = $_->headers->as_string . ($_->content // '');
        (my $body = $_->content // '') =~ s/[\r\n]+/ /g;
        [$_->code, $text =~ /test-key-/ ? 1 : 0, $body];
    } fork_race($n, $make);
}

my $leaks = 0;

# ---- two concurrent ends of one execution, 20 times (2)
my (@bad_status, @bad_store);
for my $round (1 .. 20) {
    my $E = start_exec($cron) // 0;
    my @bodies = (
        { type => 'success', success => JSON::true,  message => "round $round by 0" },
        { type => 'error',   success => JSON::false, message => "round $round by 1" },
    );
    my @r = race(2, sub {
        my $i = shift;
        req(POST => "/api/$E/end", key => KEY_CLEAR, json => $bodies[$i]);
    });
    $leaks += $_->[1] for @r;
    my @codes = map { $_->[0] } @r;
    my @won = grep { $r[$_][0] == 200 } 0 .. 1;
    if (join(',', sort @codes) ne '200,409') {
        push @bad_status, "round $round (execution $E): statuses @codes";
        next;
    }
    my $w = $bodies[ $won[0] ];
    my $row = execution($E);
    my $m = messages_of($E);
    unless ($row && defined $row->{ended_at} && $row->{type} eq $w->{type}
            && 0 + $row->{success} == ($w->{success} ? 1 : 0)
            && @$m == 1 && $m->[0]{message} eq $w->{message}
            && $m->[0]{type} eq $w->{type}) {
        push @bad_store, "round $round (execution $E): winner $won[0], row "
            . join(' ', map { "$_=" . ($row->{$_} // 'NULL') } sort keys %{ $row || {} })
            . '; messages: ' . join(' | ', map { $_->{message} } @$m);
    }
}
ok(!@bad_status, 'two concurrent ends: one 200 and one 409, 20 times out of 20')
    or diag join "\n", @bad_status;
ok(!@bad_store, "the winner's end and only its message are stored")
    or diag join "\n", @bad_store;

# ---- four concurrent ends, 5 times (1)
my @bad4;
for my $round (1 .. 5) {
    my $E = start_exec($cron) // 0;
    my @r = race(4, sub {
        req(POST => "/api/$E/end", key => KEY_CLEAR,
            json => { type => 'info', success => 1, message => "by $_[0]" });
    });
    $leaks += $_->[1] for @r;
    my $codes = join ',', sort map { $_->[0] } @r;
    push @bad4, "round $round: $codes (messages " . count_messages($E) . ')'
        unless $codes eq '200,409,409,409' && count_messages($E) == 1;
}
ok(!@bad4, 'four concurrent ends: one 200, three 409, one message')
    or diag join "\n", @bad4;

# ---- ten concurrent starts (1)
my $before = count_executions($cron);
my @r = race(10, sub { req(GET => "/api/$cron/start", key => KEY_CLEAR) });
$leaks += $_->[1] for @r;
my %ids = map { my $d = eval { JSON::decode_json($_->[2]) };
                ((ref $d eq 'HASH' ? $d->{id} // '' : '') => 1) }
          grep { $_->[0] == 200 } @r;
ok(10 == grep({ $_->[0] == 200 } @r) && 10 == grep({ /^\d+$/ } keys %ids)
   && count_executions($cron) == $before + 10,
   'ten concurrent starts: ten 200s, ten distinct executions')
    or diag join "\n", map { "$_->[0] $_->[2]" } @r;

# ---- ten concurrent messages on one execution (1)
my $M = start_exec($cron) // 0;
@r = race(10, sub {
    req(POST => "/api/$M/message", key => KEY_CLEAR,
        json => { type => 'info', message => "message $_[0]" });
});
$leaks += $_->[1] for @r;
my $m = messages_of($M);
my %texts = map { $_->{message} => 1 } @$m;
ok(10 == grep({ $_->[0] == 200 } @r) && @$m == 10
   && 10 == grep({ $texts{"message $_"} } 0 .. 9),
   'ten concurrent messages: ten 200s, ten rows')
    or diag join "\n", (map { "$_->[0] $_->[2]" } @r), "rows: " . scalar @$m;

# ---- end racing messages on one execution, 10 rounds (2)
# A message may be added to a running or to an ended execution: all four
# requests get 200 whichever comes first, and every acknowledged message
# is stored once, beside the end's own.
my (@bad_em_status, @bad_em_store);
for my $round (1 .. 10) {
    my $E = start_exec($cron) // 0;
    my @r = race(4, sub {
        my $i = shift;
        return $i == 0
            ? req(POST => "/api/$E/end", key => KEY_CLEAR,
                  json => { type => 'error', success => JSON::false,
                            message => "end $round" })
            : req(POST => "/api/$E/message", key => KEY_CLEAR,
                  json => { type => 'info', message => "line $round.$i" });
    });
    $leaks += $_->[1] for @r;
    my @codes = map { $_->[0] } @r;
    if (grep { $_ != 200 } @codes) {
        push @bad_em_status, "round $round (execution $E): statuses @codes";
        next;
    }
    my $row = execution($E);
    my %texts = map { $_->{message} => $_->{type} } @{ messages_of($E) };
    my $nmsg = count_messages($E);
    unless ($row && defined $row->{ended_at} && $row->{type} eq 'error'
            && 0 + $row->{success} == 0 && $nmsg == 4
            && ($texts{"end $round"} // '') eq 'error'
            && 3 == grep { ($texts{"line $round.$_"} // '') eq 'info' } 1 .. 3) {
        push @bad_em_store, "round $round (execution $E): ended_at="
            . ($row->{ended_at} // 'NULL') . " messages $nmsg: "
            . join(' | ', sort keys %texts);
    }
}
ok(!@bad_em_status, 'end racing three messages: four 200s, 10 rounds')
    or diag join "\n", @bad_em_status;
ok(!@bad_em_store, 'the end and all four messages are stored, once each')
    or diag join "\n", @bad_em_store;

# ---- start racing the cron being switched off, 10 rounds (2)
# Each start is either created (200, and its execution exists) or refused
# (418, and nothing is created); the cron ends up off; no other answer.
my $sw = seed_cron('conc-switch', 1);
my (@bad_sw_status, @bad_sw_store);
for my $round (1 .. 10) {
    set_active($sw, 1);
    my $before_sw = count_executions($sw);
    my @r = race(5, sub {
        my $i = shift;
        if ($i == 0) {
            CharonTest::dbh_after_fork();
            set_active($sw, 0);
            return HTTP::Response->new(204);
        }
        return req(POST => "/api/$sw/start", key => KEY_CLEAR);
    });
    $leaks += $_->[1] for @r;
    my @starts = @r[1 .. 4];
    my @codes = map { $_->[0] } @starts;
    if (grep { $_ != 200 && $_ != 418 } @codes) {
        push @bad_sw_status, "round $round: statuses @codes";
        next;
    }
    my @ids = map { my $d = eval { JSON::decode_json($_->[2]) }; $d->{id} }
              grep { $_->[0] == 200 } @starts;
    my $created = count_executions($sw) - $before_sw;
    my $row_ok = !grep { !defined $_ || !execution($_) } @ids;
    my ($active) = CharonTest::dbh()->selectrow_array(
        'SELECT CASE WHEN active THEN 1 ELSE 0 END FROM charon_cron WHERE id = ?',
        undef, $sw);
    push @bad_sw_store, "round $round: 200s " . scalar(@ids)
        . ", executions created $created, ids found " . ($row_ok ? 'all' : 'not all')
        . ", active $active"
        unless $created == @ids && $row_ok && $active == 0;
}
ok(!@bad_sw_status, 'start racing a switch-off: only 200 or 418, 10 rounds')
    or diag join "\n", @bad_sw_status;
ok(!@bad_sw_store, 'executions created equal the 200s, each one exists, cron off')
    or diag join "\n", @bad_sw_store;

# ---- no key echoed (1)
is($leaks, 0, 'no API key echoed in any response');
