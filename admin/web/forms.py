"""Forms, read through pydantic models: a bad form comes back with each field's error and
everything the operator typed."""

from __future__ import annotations

from typing import Any, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sync.accounts import Permission
from validation.delivery import country_known, postcode_example, postcode_ok

M = TypeVar("M", bound=BaseModel)


class Form(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")


class SignInForm(Form):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    next: str = "/"


def _blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class AddressForm(Form):
    first_name: str = Field(min_length=1, max_length=200)
    last_name: str = Field(min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    address1: str = Field(min_length=1, max_length=200)
    address2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=20)
    country_code: str = Field(min_length=2, max_length=2)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=320)

    @field_validator("company", "address2", "region", "postcode", "phone", "email", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> Any:
        return _blank(value)

    @field_validator("country_code")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.upper()
        if not country_known(value):
            raise ValueError("not a country code (two letters, e.g. ES, FR, DE)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _by_country(self) -> AddressForm:
        if not postcode_ok(self.country_code, self.postcode):
            example = postcode_example(self.country_code)
            raise _FieldError("postcode", "does not match the country's format"
                              + (f" (for example {example})" if example else ""))
        if self.phone is not None:
            try:
                parsed = phonenumbers.parse(self.phone, self.country_code)
            except phonenumbers.NumberParseException:
                parsed = None
            if parsed is None or not phonenumbers.is_possible_number(parsed):
                raise _FieldError("phone", "not a phone number for this country")
        return self


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MarkSentForm(Form):
    reference: str = Field(min_length=1, max_length=64)


class CarrierForm(Form):
    carrier: str = Field(default="", max_length=100)


class AccountForm(Form):
    username: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")
    password: str = Field(min_length=10, max_length=1000)
    role: str = Field(min_length=1, max_length=100)


class RoleForm(Form):
    name: str = Field(min_length=1, max_length=100)
    permissions: list[Permission] = []


def read(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The form as ``model``, or the errors by field name."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, _FieldError):
                errors.setdefault(cause.field, str(cause))
                continue
            field = str(error["loc"][0]) if error.get("loc") else "form"
            errors.setdefault(field, _message(error))
        return None, errors


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind in ("string_too_short", "missing"):
        return "required"
    if kind == "string_too_long":
        return f"too long (at most {error['ctx']['max_length']} characters)"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
