#!/usr/bin/perl
# Writes small MaxMind DB files for stage.geoip's tests with MaxMind's own writer (Debian's
# libmaxmind-db-writer-perl), independent of the Rust reader under test:
#   city.mmdb     IPv6 tree (IPv4 networks in its IPv4 subtree), GeoIP2-City layout
#   asn.mmdb      IPv4-only tree, GeoLite2-ASN layout
#   country.mmdb  IPv6 tree, GeoIP2-Country layout
# Usage: mmdb_writer.pl OUTDIR
use strict;
use utf8;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: $0 OUTDIR\n";

my %types = (
    city                           => 'map',
    continent                      => 'map',
    country                        => 'map',
    registered_country             => 'map',
    location                       => 'map',
    postal                         => 'map',
    subdivisions                   => [ 'array', 'map' ],
    names                          => 'map',
    en                             => 'utf8_string',
    de                             => 'utf8_string',
    fr                             => 'utf8_string',
    code                           => 'utf8_string',
    iso_code                       => 'utf8_string',
    time_zone                      => 'utf8_string',
    geoname_id                     => 'uint32',
    latitude                       => 'double',
    longitude                      => 'double',
    accuracy_radius                => 'uint16',
    is_in_european_union           => 'boolean',
    tags                           => [ 'array', 'utf8_string' ],
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

sub tree {
    my ( $version, $type ) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version               => $version,
        record_size              => 28,
        database_type            => $type,
        languages                => [ 'en', 'de' ],
        description              => { en => "ingot test $type" },
        map_key_type_callback    => sub { $types{ $_[0] } },
        remove_reserved_networks => 0,
    );
}

sub write_to {
    my ( $tree, $name ) = @_;
    open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$dir/$name: $!\n";
}

my $city = tree( 6, 'GeoIP2-City' );
$city->insert_network(
    '81.2.69.0/24',
    {
        city => { geoname_id => 2643743, names => { en => 'London', de => 'London' } },
        continent => { code => 'EU', geoname_id => 6255148, names => { en => 'Europe', de => 'Europa' } },
        country => { iso_code => 'GB', geoname_id => 2635167, names => { en => 'United Kingdom', de => 'Vereinigtes Königreich' } },
        location => { latitude => 51.5142, longitude => -0.0931, accuracy_radius => 10, time_zone => 'Europe/London' },
        postal => { code => 'EC1A' },
        subdivisions => [
            { iso_code => 'ENG', names => { en => 'England' } },
            { iso_code => 'WBK', names => { en => 'West Berkshire', de => 'West Berkshire' } },
        ],
        tags => [ 'a', 'b' ],
    }
);
# Names only in German, a location at 0,0, empty strings and no postal code: none of these is set.
$city->insert_network(
    '2a02:cf40::/29',
    {
        city => { names => { de => 'Köln' } },
        continent => { code => 'EU', names => { en => 'Europe' } },
        country => { iso_code => 'DE', names => { en => 'Germany' }, is_in_european_union => 1 },
        location => { latitude => 0, longitude => 0, time_zone => '' },
        subdivisions => [ { iso_code => 'NW', names => { en => 'North Rhine-Westphalia' } } ],
    }
);
# Only one coordinate off zero: both are set.
$city->insert_network(
    '2001:db8:1::/48',
    {
        country => { iso_code => 'GH', names => { en => 'Ghana' } },
        location => { latitude => 0, longitude => -1.5, time_zone => 'Africa/Accra' },
    }
);
write_to( $city, 'city.mmdb' );

my $asn = tree( 4, 'GeoLite2-ASN' );
$asn->insert_network( '1.128.0.0/11', { autonomous_system_number => 1221, autonomous_system_organization => 'Telstra Pty Ltd' } );
$asn->insert_network( '12.81.92.0/22', { autonomous_system_number => 7018, autonomous_system_organization => '' } );
write_to( $asn, 'asn.mmdb' );

my $country = tree( 6, 'GeoIP2-Country' );
$country->insert_network(
    '2.125.160.0/19',
    {
        continent => { code => 'EU', names => { en => 'Europe' } },
        country => { iso_code => 'GB', names => { en => 'United Kingdom' } },
        city => { names => { en => 'Not read from a Country database' } },
    }
);
$country->insert_network(
    '2001:218::/32',
    {
        continent => { code => 'AS', names => { en => 'Asia' } },
        country => { iso_code => 'JP', names => { en => 'Japan', de => 'Japan' } },
    }
);
write_to( $country, 'country.mmdb' );
