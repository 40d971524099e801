WITH "t4" AS (
  SELECT
    "t3"."__p",
    "t3"."__d_tag",
    COUNT(*) AS "__n0",
    COUNT(DISTINCT "t3"."tag") AS "__n1",
    COUNT(*) FILTER(WHERE
      "t3"."tag" LIKE 'comp%') AS "__n2"
  FROM (
    SELECT
      "t1"."tag",
      "t1"."tag" AS "__d_tag",
      "t1"."tag_date" AS "__d_tag_date",
      "t1"."tag_date" AS "__t",
      MAKE_DATE(2024, 1, 1) AS "__p"
    FROM (
      SELECT
        id AS tag_order_id,
        order_date AS tag_date,
        amount AS tag_amount,
        CASE
          WHEN id % 3 = 0
          THEN UPPER(status)
          WHEN id % 3 = 1
          THEN CONCAT(status, ' ')
          ELSE status
        END AS tag
      FROM onpace_it_orders
    ) AS "t1"
    WHERE
      "t1"."tag_date" <= MAKE_DATE(2024, 3, 31)
      AND "t1"."tag_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t3"
  GROUP BY
    1,
    2
)
SELECT
  "t11"."__d_tag" AS "tag",
  COALESCE("t11"."__n0", 0) AS "tagged_orders",
  COALESCE("t11"."__n1", 0) AS "tag_values",
  COALESCE("t11"."__n2", 0) AS "like_completed"
FROM (
  SELECT
    "t10"."__p",
    "t10"."__d_tag",
    MAX("t10"."__in") AS "__in",
    MAX("t10"."__n0") AS "__n0",
    MAX("t10"."__n1") AS "__n1",
    MAX("t10"."__n2") AS "__n2"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t2"."__p",
        "t8"."__d_tag",
        1 AS "__in",
        CAST(NULL AS BIGINT) AS "__n0",
        CAST(NULL AS BIGINT) AS "__n1",
        CAST(NULL AS BIGINT) AS "__n2"
      FROM "onpace_periods_be3cd274cffe" AS "t2"
      CROSS JOIN (
        SELECT DISTINCT
          "t5"."__d_tag"
        FROM "t4" AS "t5"
        WHERE
          "t5"."__p" >= MAKE_DATE(2024, 1, 1) AND "t5"."__p" <= MAKE_DATE(2024, 1, 1)
      ) AS "t8"
    ) AS "t9"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t5"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        "t5"."__d_tag",
        CAST(NULL AS SMALLINT) AS "__in",
        "t5"."__n0",
        "t5"."__n1",
        "t5"."__n2"
      FROM "t4" AS "t5"
    ) AS "t7"
  ) AS "t10"
  GROUP BY
    1,
    2
) AS "t11"
WHERE
  "t11"."__in" IS NOT NULL
