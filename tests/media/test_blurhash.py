"""BlurHash, checked against properties the published algorithm fixes."""
from federation import blurhash


def test_shape_and_average_colour():
    solid = [(200, 30, 30)] * (16 * 16)
    value = blurhash.encode(solid, 16, 16)
    assert len(value) == 28  # 1 size flag + 1 maximum + 4 DC + 2 × 11 AC
    assert value[0] == blurhash.ALPHABET[3 + 2 * 9]  # 4 × 3 components
    assert blurhash.average_colour(value) == (200, 30, 30)


def test_component_counts_change_the_length():
    pixels = [(x * 8 % 256, y * 8 % 256, 128) for y in range(8) for x in range(8)]
    assert len(blurhash.encode(pixels, 8, 8, x_components=1, y_components=1)) == 6
    assert len(blurhash.encode(pixels, 8, 8, x_components=9, y_components=9)) == 6 + 2 * 80


def test_a_gradient_has_a_horizontal_component():
    left_to_right = [(x * 32, x * 32, x * 32) for _ in range(8) for x in range(8)]
    top_to_bottom = [(y * 32, y * 32, y * 32) for y in range(8) for _ in range(8)]
    a = blurhash.encode(left_to_right, 8, 8)
    b = blurhash.encode(top_to_bottom, 8, 8)
    # Components run row by row (j outer, i inner): the transposed image swaps component (1, 0),
    # the first AC pair, with (0, 1), the fourth.
    assert a != b
    assert a[6:8] == b[12:14] and a[12:14] == b[6:8]
    assert a[6:8] != a[12:14]
    assert blurhash.average_colour(a) == blurhash.average_colour(b)


def test_srgb_round_trip():
    for value in range(256):
        assert blurhash.linear_to_srgb(blurhash.srgb_to_linear(value)) == value
