WITH "t19" AS (
  SELECT
    "t17"."__p",
    "t17"."__d_region",
    SUM("t17"."amount") FILTER(WHERE
      "t17"."status" = 'completed') AS "__n1"
  FROM (
    SELECT
      "t15"."status",
      "t15"."amount",
      "t15"."__d_order_date",
      "t15"."__k0",
      "t15"."__j0",
      "t15"."__d_region",
      "t15"."__d_segment",
      "t15"."__d_order_date" AS "__t",
      DATE_TRUNC('QUARTER', "t15"."__d_order_date") AS "__p"
    FROM (
      SELECT
        "t10"."status",
        "t10"."amount",
        "t10"."__d_order_date",
        "t10"."__k0",
        "t12"."__j0",
        "t12"."__d_region",
        "t12"."__d_segment"
      FROM (
        SELECT
          "t1"."status",
          "t1"."amount",
          "t1"."order_date" AS "__d_order_date",
          "t1"."customer_id" AS "__k0"
        FROM "onpace_it_orders" AS "t1"
      ) AS "t10"
      LEFT OUTER JOIN (
        SELECT
          "t2"."id" AS "__j0",
          "t2"."region" AS "__d_region",
          "t2"."segment" AS "__d_segment"
        FROM "onpace_it_customers" AS "t2"
      ) AS "t12"
        ON "t10"."__k0" = "t12"."__j0"
    ) AS "t15"
    WHERE
      "t15"."__d_segment" = 'smb'
      AND "t15"."__d_order_date" <= MAKE_DATE(2024, 12, 31)
      AND "t15"."__d_order_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t17"
  GROUP BY
    1,
    2
), "t21" AS (
  SELECT
    "t18"."__p",
    "t18"."__d_region",
    SUM("t18"."qty" * "t18"."price" * (
      1 - "t18"."discount"
    )) AS "__n0"
  FROM (
    SELECT
      "t16"."qty",
      "t16"."price",
      "t16"."discount",
      "t16"."__k0",
      "t16"."__j0",
      "t16"."__d_order_date",
      "t16"."__k0_0",
      "t16"."__j1",
      "t16"."__d_region",
      "t16"."__d_segment",
      "t16"."__d_order_date" AS "__t",
      DATE_TRUNC('QUARTER', "t16"."__d_order_date") AS "__p"
    FROM (
      SELECT
        "t14"."qty",
        "t14"."price",
        "t14"."discount",
        "t14"."__k0",
        "t11"."__j0",
        "t11"."__d_order_date",
        "t11"."__k0_0",
        "t13"."__j1",
        "t13"."__d_region",
        "t13"."__d_segment"
      FROM (
        SELECT
          "t3"."qty",
          "t3"."price",
          "t3"."discount",
          "t3"."order_id" AS "__k0"
        FROM "onpace_it_order_lines" AS "t3"
      ) AS "t14"
      LEFT OUTER JOIN (
        SELECT
          "t1"."id" AS "__j0",
          "t1"."order_date" AS "__d_order_date",
          "t1"."customer_id" AS "__k0_0"
        FROM "onpace_it_orders" AS "t1"
      ) AS "t11"
        ON "t14"."__k0" = "t11"."__j0"
      LEFT OUTER JOIN (
        SELECT
          "t2"."id" AS "__j1",
          "t2"."region" AS "__d_region",
          "t2"."segment" AS "__d_segment"
        FROM "onpace_it_customers" AS "t2"
      ) AS "t13"
        ON "t11"."__k0_0" = "t13"."__j1"
    ) AS "t16"
    WHERE
      "t16"."__d_segment" = 'smb'
      AND "t16"."__d_order_date" <= MAKE_DATE(2024, 12, 31)
      AND "t16"."__d_order_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t18"
  GROUP BY
    1,
    2
)
SELECT
  "t32"."__p" AS "period",
  "t32"."__d_region" AS "region",
  CAST(COALESCE("t32"."__n0", 0) AS DOUBLE PRECISION) AS "revenue",
  CAST(COALESCE("t32"."__n1", 0) AS DOUBLE PRECISION) AS "completed_amount"
FROM (
  SELECT
    "t31"."__p",
    "t31"."__d_region",
    MAX("t31"."__in") AS "__in",
    MAX("t31"."__n0") AS "__n0",
    MAX("t31"."__n1") AS "__n1"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t20"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        "t20"."__d_region",
        CAST(NULL AS SMALLINT) AS "__in",
        CAST(NULL AS DECIMAL(38, 2)) AS "__n0",
        "t20"."__n1"
      FROM "t19" AS "t20"
    ) AS "t24"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t4"."__p",
          "t28"."__d_region",
          1 AS "__in",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n0",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n1"
        FROM "onpace_periods_ab1c8507c377" AS "t4"
        CROSS JOIN (
          SELECT
            *
          FROM (
            SELECT
              "t22"."__d_region"
            FROM "t21" AS "t22"
            WHERE
              "t22"."__p" >= MAKE_DATE(2024, 1, 1) AND "t22"."__p" <= MAKE_DATE(2024, 10, 1)
          ) AS "t25"
          UNION
          SELECT
            *
          FROM (
            SELECT
              "t20"."__d_region"
            FROM "t19" AS "t20"
            WHERE
              "t20"."__p" >= MAKE_DATE(2024, 1, 1) AND "t20"."__p" <= MAKE_DATE(2024, 10, 1)
          ) AS "t23"
        ) AS "t28"
      ) AS "t29"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t22"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          "t22"."__d_region",
          CAST(NULL AS SMALLINT) AS "__in",
          "t22"."__n0",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n1"
        FROM "t21" AS "t22"
      ) AS "t26"
    ) AS "t30"
  ) AS "t31"
  GROUP BY
    1,
    2
) AS "t32"
WHERE
  "t32"."__in" IS NOT NULL AND "t32"."__p" >= MAKE_DATE(2024, 1, 1)
