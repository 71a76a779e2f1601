# The watchdog's writes on the big tables find their rows by key: no plan
# of ST_WD_LOSE, ST_WD_IDEM_PURGE or ST_WD_RETENTION reads a whole
# executions, messages or idempotency table.  (On MariaDB, a DELETE ...
# WHERE id IN (subquery) scanned and locked all of charon_execution.)
# The statements are the module's own, printed by tests/bench/sql_dump.c
# from the dialects, src/db/dialect_*.c.  Plans are asked in a way that
# does not depend on the size of the test tables: PostgreSQL with
# sequential scans disabled (one remains only where no index serves),
# SQLite as planned without statistics, MySQL from the target table's
# access type.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use File::Temp ();

my @names = qw(ST_WD_LOSE ST_WD_IDEM_PURGE ST_WD_RETENTION);
plan tests => 1 + @names;

my $top = "$FindBin::Bin/..";
my $tmp = File::Temp->newdir;
my $bin = "$tmp/sql_dump";
my @dialects = glob "'$top/src/db/dialect*.c'";
my $cc = system("cc -w -I'$top/src' '$top/tests/bench/sql_dump.c' "
              . join(' ', map { "'$_'" } @dialects) . " -o '$bin'");
my @dump = $cc == 0 ? `'$bin'` : ();
ok(@dump > 0, 'the module\'s SQL printed by tests/bench/sql_dump.c')
    or BAIL_OUT('cannot build tests/bench/sql_dump.c');

my $dbh = dbh();
my $drv = $dbh->{Driver}{Name};
my $driver = { Pg => 'pgsql', SQLite => 'sqlite3' }->{$drv} // 'mysql';
my (%driver_of, %sql);
for (@dump) {
    chomp;
    my @f = split /\|/, $_, 4;
    $driver_of{$f[1]} = $f[3] if $f[0] eq 'dialect';
    # The first dialect of the driver (MySQL's share these).
    $sql{$f[2]} //= $f[3]
        if $f[0] eq 'sql' && ($driver_of{$f[1]} // '') eq $driver;
}

# Arguments as literals: EXPLAIN of a statement with placeholders is not
# portable, and any value gives the same access paths.
sub literal {
    my ($q) = @_;
    $q =~ s/%(%|lld|d|s)/$1 eq '%' ? '%' : $1 eq 's' ? "'1'" : '1'/ge;
    return $q;
}

my $BIG = qr/charon_execution|charon_message|charon_idempotency|e/;

sub full_scans {
    my ($q) = @_;
    my @bad;
    if ($drv eq 'Pg') {
        $dbh->do('SET enable_seqscan = off');
        my $plan = join "\n", map { $_->[0] }
            @{ $dbh->selectall_arrayref("EXPLAIN $q") };
        $dbh->do('RESET enable_seqscan');
        push @bad, $1 while $plan =~ /(Seq Scan on (?:$BIG)\b[^\n]*)/g;
        return (\@bad, $plan);
    }
    if ($drv eq 'SQLite') {
        my $rows = $dbh->selectall_arrayref("EXPLAIN QUERY PLAN $q");
        my $plan = join "\n", map { $_->[-1] } @$rows;
        # charon_execution_open holds the open runs only (a partial index).
        push @bad, grep { /^SCAN (?:$BIG)\b/ && !/USING INTEGER PRIMARY KEY/
                          && !/USING (?:COVERING )?INDEX charon_execution_open\b/ }
            map { $_->[-1] } @$rows;
        return (\@bad, $plan);
    }
    my $sth = $dbh->prepare("EXPLAIN $q");
    $sth->execute;
    my @plan;
    while (my $r = $sth->fetchrow_hashref('NAME_lc')) {
        push @plan, join ' ', map { $_ // '-' } @{$r}{qw(id select_type table type key)};
        # The table written to: the batch drives it, by its key.
        push @bad, $plan[-1] if ($r->{select_type} // '') eq 'PRIMARY'
            && ($r->{table} // '') =~ /^charon_/
            && ($r->{type} // '') eq 'ALL';
    }
    return (\@bad, join "\n", @plan);
}

for my $name (@names) {
    my $q = $sql{$name};
    unless (defined $q) {
        fail("$name: no SQL for $driver");
        next;
    }
    my ($bad, $plan) = full_scans(literal($q));
    ok(!@$bad, "$name on $driver: no full scan of a big table")
        or diag("full scans:\n  " . join("\n  ", @$bad) . "\nplan:\n$plan");
}
