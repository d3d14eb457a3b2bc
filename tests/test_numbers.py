from fractions import Fraction as F

from explainer.numbers import is_shown_exactly, rounded, show, show_places, tolerance_of


def test_exact_decimals_are_shown_exactly():
    assert show(F("21.675")) == "21.675"
    assert show(F("15.6601875")) == "15.6601875"
    assert show(F(-51, 2)) == "-25.5"
    assert show(F(3, 10)) == "0.3"
    assert show(F(0)) == "0"


def test_other_values_round_once_to_ten_significant_digits_half_away_from_zero():
    assert show(F(1, 3)) == "0.3333333333"
    assert show(F(2, 3)) == "0.6666666667"
    assert show(F(-2, 3)) == "-0.6666666667"
    assert not is_shown_exactly(F(1, 3))
    assert rounded(F("2.0000000005")) == F("2.000000001")


def test_fixed_places_round_the_decimal_not_the_binary_value():
    assert show_places(2.675, 2) == "2.68"  # f"{2.675:.2f}" gives 2.67
    assert show_places(9.61240469, 3) == "9.612"
    assert show_places(-0.0001, 3) == "0.000"


def test_tolerance_is_half_a_unit_in_the_last_digit():
    assert tolerance_of("0.772") == F(1, 2000)
    assert tolerance_of("30") == F(1, 2)
