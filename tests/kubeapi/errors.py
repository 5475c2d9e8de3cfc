"""Kubernetes `Status` errors, in the form the real API server answers them."""


class ApiError(Exception):
    """An API answer other than success: carries what becomes the `Status` body."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


class PageNotFound(Exception):
    """A path outside every served API group: the plain-text `404 page not found`."""


def cause(reason, field, message):
    return {"reason": reason, "field": field, "message": message}


def required(field, detail=""):
    return cause("FieldValueRequired", field, "Required value" + (": " + detail if detail else ""))


def invalid_value(field, value, detail, reason="FieldValueInvalid"):
    return cause(reason, field, f'Invalid value: "{value}": {detail}')


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def not_found_path():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def unsupported_media_type(accepted, patch=False):
    if patch:  # v1.28 answers a PATCH with another content type without naming the accepted ones
        return ApiError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted), {})


def forbidden_path(user, verb, path):
    return ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"', {})
