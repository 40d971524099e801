WITH `t17` AS (
  SELECT
    `t16`.`__p`,
    MAX(`t16`.`__in`) AS `__in`,
    MAX(`t16`.`__n0`) AS `__n0`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t0`.`__p`,
        1 AS `__in`,
        NULL AS `__n0`
      FROM `onpace_periods_3cd52f5ca1a0` AS `t0`
    ) AS `t3`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST(`t14`.`__p` AS DATETIME) AS DATE) AS `__p`,
        NULL AS `__in`,
        `t14`.`__n0`
      FROM (
        SELECT
          `t13`.`__p`,
          SUM(`t13`.`qty` * `t13`.`price` * (
            1 - `t13`.`discount`
          )) AS `__n0`
        FROM (
          SELECT
            `t12`.`qty`,
            `t12`.`price`,
            `t12`.`discount`,
            `t12`.`__k0`,
            `t12`.`__j0`,
            `t12`.`__d_order_date`,
            `t12`.`__d_order_date` AS `__t`,
            DATE_FORMAT(`t12`.`__d_order_date`, '%Y-%m-01') AS `__p`
          FROM (
            SELECT
              `t7`.`qty`,
              `t7`.`price`,
              `t7`.`discount`,
              `t7`.`__k0`,
              `t8`.`__j0`,
              `t8`.`__d_order_date`
            FROM (
              SELECT
                `t1`.`qty`,
                `t1`.`price`,
                `t1`.`discount`,
                `t1`.`order_id` AS `__k0`
              FROM `onpace_it_order_lines` AS `t1`
            ) AS `t7`
            LEFT OUTER JOIN (
              SELECT
                `t2`.`id` AS `__j0`,
                `t2`.`order_date` AS `__d_order_date`
              FROM `onpace_it_orders` AS `t2`
            ) AS `t8`
              ON `t7`.`__k0` = `t8`.`__j0`
          ) AS `t12`
          WHERE
            `t12`.`__d_order_date` <= DATE('2024-12-31')
            AND `t12`.`__d_order_date` >= DATE('2023-01-01')
        ) AS `t13`
        GROUP BY
          1
      ) AS `t14`
    ) AS `t15`
  ) AS `t16`
  GROUP BY
    1
)
SELECT
  `t28`.`__p` AS `period`,
  CAST(`t28`.`__n0` - `t28`.`__n1` AS DOUBLE) AS `revenue_change`,
  (
    CAST(`t28`.`__n0` AS DOUBLE) / IF(`t28`.`__n3` = 0, NULL, CAST(`t28`.`__n3` AS DOUBLE))
  ) - 1 AS `revenue_yoy_growth`
FROM (
  SELECT
    `t27`.`__p`,
    MAX(`t27`.`__in`) AS `__in`,
    MAX(`t27`.`__n0`) AS `__n0`,
    MAX(`t27`.`__n1`) AS `__n1`,
    MAX(`t27`.`__n3`) AS `__n3`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t25`.`__p`,
        1 AS `__in`,
        `t25`.`__n0`,
        `t25`.`__n1`,
        NULL AS `__n3`
      FROM (
        SELECT
          `t24`.`__p`,
          MAX(`t24`.`__in`) AS `__in`,
          MAX(`t24`.`__n0`) AS `__n0`,
          MAX(`t24`.`__n1`) AS `__n1`
        FROM (
          SELECT
            *
          FROM (
            SELECT
              `t18`.`__p`,
              1 AS `__in`,
              COALESCE(`t18`.`__n0`, 0) AS `__n0`,
              NULL AS `__n1`
            FROM `t17` AS `t18`
            WHERE
              `t18`.`__in` IS NOT NULL
          ) AS `t19`
          UNION ALL
          SELECT
            *
          FROM (
            SELECT
              CAST(CAST(`t10`.`__rp` AS DATETIME) AS DATE) AS `__p`,
              NULL AS `__in`,
              NULL AS `__n0`,
              `t21`.`__n0` AS `__n1`
            FROM (
              SELECT
                `t0`.`__p` AS `__rp`,
                `t0`.`__p` - INTERVAL '1' MONTH AS `__rq`
              FROM `onpace_periods_3cd52f5ca1a0` AS `t0`
            ) AS `t10`
            INNER JOIN (
              SELECT
                `t18`.`__p`,
                COALESCE(`t18`.`__n0`, 0) AS `__n0`
              FROM `t17` AS `t18`
              WHERE
                `t18`.`__in` IS NOT NULL
            ) AS `t21`
              ON `t10`.`__rq` = `t21`.`__p`
          ) AS `t23`
        ) AS `t24`
        GROUP BY
          1
      ) AS `t25`
      WHERE
        `t25`.`__in` IS NOT NULL
    ) AS `t26`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST(`t11`.`__rp` AS DATETIME) AS DATE) AS `__p`,
        NULL AS `__in`,
        NULL AS `__n0`,
        NULL AS `__n1`,
        `t21`.`__n0` AS `__n3`
      FROM (
        SELECT
          `t0`.`__p` AS `__rp`,
          DATE_FORMAT(`t0`.`__p` - INTERVAL '1' YEAR, '%Y-%m-01') AS `__rq`
        FROM `onpace_periods_3cd52f5ca1a0` AS `t0`
      ) AS `t11`
      INNER JOIN (
        SELECT
          `t18`.`__p`,
          COALESCE(`t18`.`__n0`, 0) AS `__n0`
        FROM `t17` AS `t18`
        WHERE
          `t18`.`__in` IS NOT NULL
      ) AS `t21`
        ON `t11`.`__rq` = `t21`.`__p`
    ) AS `t22`
  ) AS `t27`
  GROUP BY
    1
) AS `t28`
WHERE
  `t28`.`__in` IS NOT NULL AND `t28`.`__p` >= DATE('2024-01-01')
