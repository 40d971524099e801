"""Comments and annotations, the same routes under /kpis/{name} and /metrics/{name}."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed
from onpace.services import feedback, notes
from onpace.services.params import Day
from onpace.services.views.notes import AnnotationView, CommentView, SubjectKind


class NewComment(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    body: str = Field(min_length=1, max_length=notes.MAX_COMMENT)


class NewAnnotation(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    date: dt.date
    end_date: dt.date | None = None
    label: str = Field(min_length=1, max_length=notes.MAX_LABEL)
    body: str = Field(default="", max_length=notes.MAX_COMMENT)


class Notes:
    def __init__(self, kind: SubjectKind) -> None:
        self.kind: SubjectKind = kind

    def add_routes(self, router: APIRouter) -> None:
        kind = self.kind

        @router.get("/{name}/comments", name=f"{kind}_comments")
        def list_comments(name: str, project: ProjectDep, store: StoreDep) -> list[CommentView]:
            notes.check_subject(project, kind, name)
            return feedback.list_comments(store, kind, name)

        @router.post("/{name}/comments", status_code=201, name=f"{kind}_add_comment", dependencies=[allowed("comment")])
        def add_comment(
            name: str, body: NewComment, project: ProjectDep, store: StoreDep, user: UserDep
        ) -> CommentView:
            user.require("comment")
            return feedback.comment(notes.add_comment(project, store, kind, name, author=user.name, body=body.body))

        @router.get("/{name}/annotations", name=f"{kind}_annotations")
        def list_annotations(
            name: str,
            project: ProjectDep,
            store: StoreDep,
            start: Annotated[Day | None, Query()] = None,
            end: Annotated[Day | None, Query()] = None,
        ) -> list[AnnotationView]:
            notes.check_subject(project, kind, name)
            return feedback.list_annotations(store, kind, name, start, end)

        @router.post(
            "/{name}/annotations",
            status_code=201,
            name=f"{kind}_add_annotation",
            dependencies=[allowed("annotate")],
        )
        def add_annotation(
            name: str, body: NewAnnotation, project: ProjectDep, store: StoreDep, user: UserDep
        ) -> AnnotationView:
            user.require("annotate")
            row = notes.add_annotation(
                project,
                store,
                kind,
                name,
                author=user.name,
                on_date=body.date,
                label=body.label,
                body=body.body,
                end_date=body.end_date,
            )
            return feedback.annotation(row)
