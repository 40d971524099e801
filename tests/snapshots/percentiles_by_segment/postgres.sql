WITH "t10" AS (
  SELECT
    "t9"."__p",
    "t9"."__d_segment",
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY
      CAST("t9"."amount" AS DOUBLE PRECISION)) AS "__n0",
    PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY
      CAST("t9"."amount" AS DOUBLE PRECISION)) AS "__n1"
  FROM (
    SELECT
      "t8"."amount",
      "t8"."__d_order_date",
      "t8"."__k0",
      "t8"."__j0",
      "t8"."__d_segment",
      "t8"."__d_order_date" AS "__t",
      MAKE_DATE(2024, 1, 1) AS "__p"
    FROM (
      SELECT
        "t6"."amount",
        "t6"."__d_order_date",
        "t6"."__k0",
        "t7"."__j0",
        "t7"."__d_segment"
      FROM (
        SELECT
          "t1"."amount",
          "t1"."order_date" AS "__d_order_date",
          "t1"."customer_id" AS "__k0"
        FROM "onpace_it_orders" AS "t1"
      ) AS "t6"
      LEFT OUTER JOIN (
        SELECT
          "t2"."id" AS "__j0",
          "t2"."segment" AS "__d_segment"
        FROM "onpace_it_customers" AS "t2"
      ) AS "t7"
        ON "t6"."__k0" = "t7"."__j0"
    ) AS "t8"
    WHERE
      "t8"."__d_order_date" <= MAKE_DATE(2024, 12, 31)
      AND "t8"."__d_order_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t9"
  GROUP BY
    1,
    2
)
SELECT
  "t17"."__d_segment" AS "segment",
  "t17"."__n0" AS "median_order_amount",
  "t17"."__n1" AS "p90_order_amount"
FROM (
  SELECT
    "t16"."__p",
    "t16"."__d_segment",
    MAX("t16"."__in") AS "__in",
    MAX("t16"."__n0") AS "__n0",
    MAX("t16"."__n1") AS "__n1"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t3"."__p",
        "t14"."__d_segment",
        1 AS "__in",
        CAST(NULL AS DOUBLE PRECISION) AS "__n0",
        CAST(NULL AS DOUBLE PRECISION) AS "__n1"
      FROM "onpace_periods_be3cd274cffe" AS "t3"
      CROSS JOIN (
        SELECT DISTINCT
          "t11"."__d_segment"
        FROM "t10" AS "t11"
        WHERE
          "t11"."__p" >= MAKE_DATE(2024, 1, 1) AND "t11"."__p" <= MAKE_DATE(2024, 1, 1)
      ) AS "t14"
    ) AS "t15"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t11"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        "t11"."__d_segment",
        CAST(NULL AS SMALLINT) AS "__in",
        "t11"."__n0",
        "t11"."__n1"
      FROM "t10" AS "t11"
    ) AS "t13"
  ) AS "t16"
  GROUP BY
    1,
    2
) AS "t17"
WHERE
  "t17"."__in" IS NOT NULL
