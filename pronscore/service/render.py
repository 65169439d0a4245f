"""An Assessment as an HTTP response in the format the client asked for."""
from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from pronscore.report.csv_report import to_csv
from pronscore.report.textgrid import to_textgrid
from pronscore.result import Assessment
from pronscore.service.runner import OutputFormat


def assessment_response(result: Assessment, fmt: OutputFormat) -> Response:
    if fmt == "textgrid":
        return Response(to_textgrid(result), media_type="text/plain; charset=utf-8",
                        headers={"Content-Disposition": 'inline; filename="assessment.TextGrid"'})
    if fmt == "csv":
        return Response(to_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'inline; filename="assessment.csv"'})
    return JSONResponse(result.to_dict())
