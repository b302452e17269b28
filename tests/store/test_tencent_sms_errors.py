"""What each Tencent Cloud SMS error code means for the message it was about: per-number
limits and invalid numbers can never succeed for its recipient (dropped); unapproved
signatures or templates not before an operator fixes them (parked); the application's own
limits, throttling, internal errors, authentication and the network may pass later
(delivered again)."""

from __future__ import annotations

import pytest

from chalicelib.domain.sms import SmsDeferred, SmsRefused, SmsUnreachable
from chalicelib.store.tencent_sms import failure


@pytest.mark.parametrize(
    "code",
    [
        "LimitExceeded.PhoneNumberOneHourLimit",
        "LimitExceeded.PhoneNumberDailyLimit",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberSameContentDailyLimit",
        "LimitExceeded.DeliveryFrequencyLimit",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
    ],
)
def test_what_this_recipient_cannot_have_is_unreachable(code: str) -> None:
    unreachable = failure(code, "req-1")
    assert isinstance(unreachable, SmsUnreachable)
    assert (unreachable.code, unreachable.request_id) == (code, "req-1")


@pytest.mark.parametrize(
    "code",
    [
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.TemplateParameterFormatError",
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
        "Bianmin.TemplateNotConfigured",
    ],
)
def test_what_an_operator_must_fix_first_is_refused(code: str) -> None:
    refused = failure(code, "req-1")
    assert isinstance(refused, SmsRefused) and not isinstance(refused, SmsUnreachable)
    assert (refused.code, refused.request_id) == (code, "req-1")


@pytest.mark.parametrize(
    "code",
    [
        "LimitExceeded.AppDailyLimit",
        "LimitExceeded.AppMainlandChinaDailyLimit",
        "RequestLimitExceeded",
        "InternalError.Timeout",
        "InternalError.SendAndRecvFail",
        "InternalError",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "UnauthorizedOperation.ServiceSuspendDueToArrears",
        "AuthFailure.SignatureFailure",
        "ClientNetworkError",
        "ServerNetworkError",
        "SomethingNew.NeverSeenBefore",
    ],
)
def test_what_may_pass_later_is_deferred(code: str) -> None:
    assert isinstance(failure(code), SmsDeferred)
